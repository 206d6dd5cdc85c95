"""Publish tests: the pure stages alone, the engine and the command line against moto."""
