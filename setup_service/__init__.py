"""The setup service: turns a deployment's environment into a published pgBackRest configuration."""

__version__ = "0.1.0"
