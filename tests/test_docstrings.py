"""The API page renders each public name's docstring: every one says what it takes, gives and how it is used."""

import inspect

import pytest

import yolo_training as yt


def _public(kind):
    for name in yt.__all__:
        obj = getattr(yt, name)
        if kind(obj) and getattr(obj, "__module__", "").startswith("yolo_training"):
            yield name, obj


FUNCTIONS = dict(_public(inspect.isfunction))
CLASSES = {name: obj for name, obj in _public(inspect.isclass) if not issubclass(obj, Exception)}


def test_there_is_something_to_check():
    assert len(FUNCTIONS) > 80 and len(CLASSES) > 10


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_public_function_has_args_returns_and_examples(name):
    function = FUNCTIONS[name]
    doc = inspect.getdoc(function) or ""
    signature = inspect.signature(function)
    sections = ["Examples:"]
    if signature.parameters:
        sections.append("Args:")
    if signature.return_annotation not in (None, "None"):
        sections.append("Returns:")
    missing = [s for s in sections if s not in doc]
    assert not missing, f"{name} ({inspect.getsourcefile(function)}): its docstring has no {', '.join(missing)} section"
    documented = doc.split("Args:", 1)[1] if "Args:" in doc else ""
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        assert f"{parameter.name}:" in documented or f"{parameter.name} (" in documented, (
            f"{name}: the argument {parameter.name!r} is not described under Args")


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_public_class_has_an_example(name):
    assert "Examples:" in (inspect.getdoc(CLASSES[name]) or ""), f"{name}: its docstring has no Examples section"
