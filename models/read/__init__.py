"""Read side for desks: inventory index, status summaries, rack contents, floor maps."""
