"""Every wrong input in the survey (tools/error_survey.py) gets the answer the survey expects:
an exception of the expected type whose message names the op or module, the shapes, dtypes
or devices, and what was expected; never an AssertionError or a bare NumPy message. The few
inputs that are not errors by design (NaN flowing through) give their documented value."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_rnn import backend

_spec = importlib.util.spec_from_file_location("error_survey",
                                               Path(__file__).parents[1] / "tools" / "error_survey.py")
survey = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(survey)

CASES = survey.all_cases()
ERRORS = [c for c in CASES if c.error is not None]
VALUES = [c for c in CASES if c.error is None]


def _id(case):
    return f"{case.group}: {case.name}"


@pytest.mark.parametrize("case", ERRORS, ids=_id)
def test_wrong_input_raises_a_message_that_names_it(case):
    with pytest.raises(case.error, match=case.match):
        case.run()


@pytest.mark.parametrize("case", VALUES, ids=_id)
def test_input_that_is_not_an_error_gives_its_documented_value(case):
    assert re.search(case.match, str(case.run()))


def test_every_case_answers_ok_in_the_survey():
    verdicts = {_id(c): survey.answer(c)[2] for c in CASES}
    assert [k for k, v in verdicts.items() if not v.startswith("ok")] == []


def test_survey_counts_an_assertion_error_as_bad():
    def fails():
        raise AssertionError("shape check")
    case = survey.Case("x", "assert", fails, ValueError, "anything")
    assert survey.answer(case)[2] == "BAD: AssertionError"


def test_survey_counts_a_message_from_inside_numpy_as_bare():
    case = survey.Case("x", "numpy", lambda: np.stack([np.zeros(2), np.zeros(3)]), ValueError, "^stack:")
    assert survey.answer(case)[2] == "BAD: bare NumPy/CuPy"


def test_survey_counts_a_missing_error_as_bad():
    case = survey.Case("x", "silent", lambda: 1, ValueError, "anything")
    assert survey.answer(case)[2] == "BAD: no error"


def test_imitated_device_is_reported_as_cuda_only_inside_the_block():
    arr = survey.on_other(np.zeros(2)).array
    with survey.other_device():
        assert backend.device_of(arr) == "cuda"
    assert backend.device_of(arr) == "cpu"
