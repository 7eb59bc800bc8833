"""Boundaries found by the fuzz suite (tests/fuzz) in the symbolic layer: ``None`` given as an
array, a Neuron argument string that reads as a list.
"""
import pytest

from manifolds import Neuron
from symbolic.errors import AnswerError
from symbolic.validation import as_array


@pytest.mark.parametrize("value", [None, [None, 1.0], [[1.0], [None]]])
def test_none_is_a_type_error_not_nan(value):
    # numpy would turn None into NaN, which reads as a domain error
    with pytest.raises(TypeError, match="H must be an array of real numbers, got None"):
        as_array("H", value)


@pytest.mark.parametrize("text", ["evalevalfor,", "x,", "[1]"])
@pytest.mark.parametrize("name", ["sigma", "slope"])
def test_neuron_string_that_reads_as_a_list_is_refused(name, text):
    kwargs = {"sigma": 1} if name == "slope" else {}
    kwargs[name] = text
    with pytest.raises(AnswerError, match=rf"{name}: .* is not a single number or symbol"):
        Neuron("prelu", "gaussian", d=1, **kwargs)
