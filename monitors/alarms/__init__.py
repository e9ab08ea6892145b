"""The alarm engine that runs in the collector: metadata, vectorised state, transitions."""
