"""The one exception type a student sees: what is wrong, where, and what to do."""

from __future__ import annotations


class YoloTrainingError(Exception):
    """A problem in the student's input or setup, explained in plain words.

    The message names the file or value at fault and says what to do about it. The command
    line prints it without a traceback; in a notebook it is the last line of the cell's output.
    """


class ConfigError(YoloTrainingError, FileNotFoundError):
    """``config.yaml`` or the folders it names are missing or wrong."""


class DatasetError(YoloTrainingError, ValueError):
    """The annotations cannot be used as they are."""


class ModelNameError(YoloTrainingError, ValueError):
    """A model name or path that does not exist."""


class DeviceError(YoloTrainingError, ValueError):
    """A device that is not on this machine."""


class OutputExistsError(YoloTrainingError, FileExistsError):
    """An output folder already holds files from an earlier run; ``overwrite=True`` replaces them."""


class NotGeneratedError(YoloTrainingError, PermissionError):
    """An output folder holds files the package did not write; it is never replaced."""


class LabelStudioError(YoloTrainingError, RuntimeError):
    """Label Studio is not installed, not running, refuses the token, or answers with an error."""


class ResultsError(YoloTrainingError, ValueError):
    """A run folder or its ``results.csv`` cannot be read."""


class SourceError(YoloTrainingError, ValueError):
    """An image, folder, video or camera to predict on cannot be used."""


class DiskSpaceError(YoloTrainingError, OSError):
    """Not enough free disk for what was asked (checked before anything is written)."""


class ClassError(YoloTrainingError, ValueError):
    """A class target (shared folder or database) or a student name that cannot be used."""


class ArgumentError(YoloTrainingError, ValueError):
    """A function or command was given a value it cannot use: not one of the choices, or out of range."""


class WriteError(YoloTrainingError, OSError):
    """A file could not be written: the disk is full, the folder read-only, or OpenCV lacks the encoder."""
