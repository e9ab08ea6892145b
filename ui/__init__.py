"""Qt user interface: widgets, item models, plots and dialogs."""
