"""The bottom floor: the vocabulary several of the project's packages share. It imports
nothing of the project; every other package may import it."""
