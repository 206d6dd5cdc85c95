"""The build: Pelican with our plugins, its identity, and the incremental build that writes
only what a change touches (byte for byte what a full build would write)."""
