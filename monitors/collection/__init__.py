"""The collector process: scheduler, protocol drivers, readings and targets."""
