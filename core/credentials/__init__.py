"""The mediator's professional file, shared by every center the mediator works with."""
