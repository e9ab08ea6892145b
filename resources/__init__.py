"""Device profiles, demo inventory, icons and style sheets."""
