"""Time-series store: series rows, the batched writer, rollups, history and retention."""
