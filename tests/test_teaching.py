"""Notebooks that teach: predictions, checked exercises, reflections, the purpose in 150 words,
and what a team captures reaching the check. Reports are read as a manager reads them."""
from __future__ import annotations

import html
import re
import shutil

import nbformat
import pytest
import yaml

import studylib
from studylib.measures.capability import limits_by_system
from conftest import ROOT, SAMPLE
from studylib import StudylibError, compute_check, load_study
from studylib.teaching.exercises import EXERCISES, check_answer, exercises, number, solution, solutions
from studylib.teaching.worked import practice_series
from studylib.check.runner import run_check, stage_notebooks
from studylib.read.scaffold import new_study
from studylib.teaching.predictions import PREDICTIONS, prediction_table, purpose_check, read_predictions, read_reflections, save_prediction, save_reflection
from studylib.measures.purpose import word_count

NOTEBOOKS = ROOT / "notebooks"
STAGE_TITLES = {"01_purpose": "Purpose", "02_demand": "Demand", "03_capability": "Capability", "04_flow": "Flow",
                "05_system_conditions": "System conditions"}


# -- predictions -----------------------------------------------------------------------------------

def test_predictions_are_read_key_by_key_and_problems_said(tmp_path):
    (tmp_path / "predictions.yml").write_text(
        "failure_share: 20%\nend_to_end_days: 10\nclean_share: 35\nhandofs_per_case: 2\nlongest_wait_days: soon\n")
    values, problems = read_predictions(tmp_path)
    # A share is read one way wherever it is typed: 0.35, 35% and 35 alike.
    assert values == {"failure_share": 0.2, "end_to_end_days": 10.0, "clean_share": 0.35}
    assert any("'handofs_per_case' is not a prediction studylib knows; did you mean 'handoffs_per_case'?" in p
               for p in problems)
    assert any("longest_wait_days: 'soon' is not a number" in p for p in problems)
    (tmp_path / "predictions.yml").write_text("- 0.2\n")
    assert read_predictions(tmp_path)[1] == ["predictions.yml should hold a prediction for each key: failure_share: 0.2, not a list"]
    (tmp_path / "predictions.yml").write_text("failure_share: [0.2\n")
    assert "could not be read (line" in read_predictions(tmp_path)[1][0]
    assert read_predictions(tmp_path / "nowhere") == ({}, [])


def test_save_prediction_keeps_the_other_keys_and_refuses_what_it_cannot_read(tmp_path):
    save_prediction(tmp_path, "failure_share", "20%")
    save_prediction(tmp_path, "end_to_end_days", 12)
    assert read_predictions(tmp_path) == ({"failure_share": 0.2, "end_to_end_days": 12.0}, [])
    assert (tmp_path / "predictions.yml").read_text().startswith("# What the team expected")
    with pytest.raises(ValueError, match="did you mean 'clean_share'"):
        save_prediction(tmp_path, "clean_shar", 0.5)
    with pytest.raises(ValueError, match="is below 0"):
        save_prediction(tmp_path, "end_to_end_days", -3)
    assert read_predictions(tmp_path)[0]["end_to_end_days"] == 12.0


def test_prediction_sits_beside_the_result_computed_from_the_data(sample_results):
    predictions = {key: 0.2 if PREDICTIONS[key].kind == "share" else 10 for key in PREDICTIONS}
    t = prediction_table(sample_results, predictions)
    assert len(t) == len(PREDICTIONS)
    failure = sample_results.demand["overall"]["failure_share"].iloc[0]
    assert f"You expected 20% failure demand; it is {failure:.0%}." in t["sentence"].tolist()
    now = sample_results.flow["figures"].query("current").iloc[0]
    assert (f"You expected an average wait of 10 days from first contact to the problem solved; it is "
            f"{now['end_to_end_mean']:.1f} days.") in t["sentence"].tolist()
    # The sample's current system is predictable: the longest wait it promises is its upper limit.
    upper = limits_by_system(sample_results.capability["charts"]["Housing repairs"]).iloc[-1]["upper"]
    assert any(s.endswith(f"it is {upper:.1f} days.") for s in t["sentence"] if "longest" in s)
    flow = prediction_table(sample_results, predictions, stage="Flow")
    assert flow["measure"].tolist() == ["cases arriving clean (system as it is now)", "hand-offs per case (system as it is now)"]
    # The customer's average wait is asked where it is first shown: the capability chart's centre line.
    capability = prediction_table(sample_results, predictions, stage="Capability")
    assert capability["measure"].tolist()[0] == "customer's wait, first contact to solved, mean days (system as it is now)"


# -- exercises -------------------------------------------------------------------------------------

def test_every_exercise_is_answered_from_the_sample_results(sample_results):
    for key, ex in EXERCISES.items():
        answer = solution(key, sample_results)
        assert answer is not None, key
        right = check_answer(key, answer.value, sample_results)
        assert right and right.message.startswith("Right: ") and len(right.message) > 30, (key, right.message)
        assert f"Exercise {number(key)}: " in str(answer) and "[" not in str(answer), answer   # words, not a list
        assert check_answer(key, ..., sample_results).status == "unanswered"
    for stage in STAGE_TITLES.values():
        assert len(exercises(stage)) >= 2, stage


def test_answers_follow_the_data_not_a_key(sample_study, sample_results):
    # Other settings, other data: the answers move with them.
    moved = compute_check(sample_study, {**sample_results.settings, "radius_m": 5000.0, "window_days": 120})
    assert solution("demand.problems", moved).value < solution("demand.problems", sample_results).value
    assert check_answer("demand.problems", solution("demand.problems", sample_results).value, moved).status == "not yet"


def test_wrong_answers_get_a_hint_not_the_answer(sample_results):
    share = solution("demand.failure_share", sample_results).value
    low = check_answer("demand.failure_share", "10%", sample_results)
    assert low.status == "not yet" and "too low" in low.message and f"{share:.0%}" not in low.message
    assert check_answer("demand.failure_share", share + 0.01, sample_results)        # within two points
    assert check_answer("demand.failure_share", f"{share * 100:.1f}%", sample_results)
    types = solution("demand.failure_types", sample_results).value
    partial = check_answer("demand.failure_types", [types[0], types[1], "Report a pot-hole"], sample_results)
    assert "2 of the 3 are right, and 1 of yours is not" in partial.message
    assert not any(t in partial.message for t in types[2:])
    assert check_answer("demand.failure_types", ", ".join(t.upper() for t in reversed(types)), sample_results)
    assert check_answer("capability.predictable", not solution("capability.predictable", sample_results).value,
                        sample_results).status == "not yet"
    assert check_answer("flow.top_waste", "maybe", sample_results).message.startswith("Not yet. Hint:")
    shift = check_answer("capability.change_shift", solution("capability.change_shift", sample_results).value,
                         sample_results)
    assert "10 March 2025" in shift.message          # once right, the change is named
    assert "is not a number" in check_answer("flow.hidden_days", "five", sample_results).message
    with pytest.raises(KeyError, match="did you mean 'demand.failure_share'"):
        check_answer("demand.failure_shares", 0.5, sample_results)


def test_each_known_slip_is_named_and_every_hint_is_reached(sample_results):
    """Each exercise: its right answer, a wrong one for each hint it gives, and what a chart shows."""
    for key, ex in EXERCISES.items():
        expected = solution(key, sample_results).value
        if ex.kind in ("share", "number"):
            wrong = expected / 3 if ex.kind == "share" else expected - abs(expected) - 10
            assert check_answer(key, wrong, sample_results).message == f"Not yet: your answer is too low. Hint: {ex.hint}"
            # A slip is named only where no right calculation (hand rounding included) gives its number.
            accepted = [expected, *(ex.accepts(sample_results) if ex.accepts else [])]
            for value, what in (ex.slips(sample_results) if ex.slips else []):
                if all(abs(value - right) > max(ex.tolerance, 1e-9) for right in accepted):
                    feedback = check_answer(key, value, sample_results)
                    assert feedback.status == "not yet" and feedback.message == f"Not yet: {what}.", (key, value)
        elif ex.kind == "yes/no":
            assert check_answer(key, not expected, sample_results).message == f"Not yet. Hint: {ex.hint}"
        else:
            assert check_answer(key, "nothing like it", sample_results).message.startswith("Not yet")
    # A label as the chart shows it.
    assert check_answer("flow.top_waste", "waste: rework", sample_results)
    assert check_answer("flow.top_waste", "Waste: Rework", sample_results)


def test_a_shift_since_minus_before_refuses_the_wrong_sign(sample_results):
    shift = solution("capability.change_shift", sample_results).value
    assert shift < 0 and check_answer("capability.change_shift", shift, sample_results)
    wrong = check_answer("capability.change_shift", -shift, sample_results)
    assert wrong.status == "not yet" and "the sign is not" in wrong.message and "negative" in wrong.message


def test_the_upper_limit_is_computed_by_hand_and_a_wrong_step_is_named(sample_results):
    from studylib.measures.xmr import xmr
    from studylib.teaching.worked import WORKED_DAYS, limits_by_hand, practice_series
    worked = limits_by_hand(WORKED_DAYS)
    engine = xmr(WORKED_DAYS, screen_outliers=False)
    assert worked["upper"] == pytest.approx(engine["upper_limit"].iloc[0])
    assert worked["beyond"] == [4] and worked["run"] == (7, "below")          # one point beyond, a run of 7
    assert engine["special_cause"].iloc[4] == "above upper limit" and (engine["special_cause"].iloc[5:] != "none").all()
    # The runs the verdict reads, counted as the notebook counts them, are the engine's: one crossing of the
    # median where chance needs 3, so the example's shift is the one the verdict finds.
    from studylib.measures.predictability import predictability
    from studylib.measures.xmr import runs_analysis
    from studylib.teaching.worked import runs_by_hand
    runs, engine_runs = runs_by_hand(WORKED_DAYS), runs_analysis(WORKED_DAYS).iloc[0]
    assert (runs["longest"], runs["crossings"], runs["useful"]) == (
        engine_runs["longest_run"], engine_runs["n_crossings"], engine_runs["n_useful"]) == (6, 1, 12)
    assert runs["signal"] and runs["crossings_min"] == engine_runs["n_crossings_min"] == 3
    verdict = predictability(WORKED_DAYS).iloc[0]
    assert verdict["verdict"] == "not predictable" and "cross the median only once" in verdict["reason"]
    days = practice_series(sample_results)
    assert len(days) == 10
    upper = days.mean() + 2.66 * days.diff().abs().mean()
    assert check_answer("capability.upper_limit", round(upper, 2), sample_results)
    assert check_answer("capability.upper_limit", f"{upper:.1f}", sample_results)
    sd = check_answer("capability.upper_limit", days.mean() + 3 * days.std(), sample_results)
    assert sd.status == "not yet" and "you used the standard deviation, not the moving range" in sd.message
    three = check_answer("capability.upper_limit", days.mean() + 3 * days.diff().abs().mean(), sample_results)
    assert "the factor is 2.66" in three.message


def test_no_example_gives_the_answer_away_and_every_example_is_python(sample_results):
    for key, ex in EXERCISES.items():
        value = solution(key, sample_results).value
        shown = [value] if not isinstance(value, list) else value
        for v in shown:
            if isinstance(v, str):
                assert v.lower()[:12] not in ex.example.lower(), key
        for example in ex.example.split(" or "):
            compile(f"answer = {example}", key, "exec")       # a learner may type it as it stands


def test_every_stage_asks_one_exercise_it_does_not_print(sample_results):
    for stage in STAGE_TITLES.values():
        assert any(ex.computed for ex in exercises(stage)), stage


def test_every_prediction_asked_is_answered_on_the_sample(sample_results):
    for key, p in PREDICTIONS.items():
        assert p.result(sample_results) is not None, key


def test_solutions_list_every_exercise_for_the_facilitator(sample_study, capsys, tmp_path):
    from studylib.cli import main
    table = solutions(compute_check(sample_study))
    assert table["key"].tolist() == list(EXERCISES) and not table["answer"].str.contains("cannot").any()
    assert main(["solutions", str(sample_study.path)]) == 0
    out = capsys.readouterr().out
    assert "Exercise 3.4 (capability.upper_limit)" in out and "Answer: " in out and "Why: " in out
    empty = tmp_path / "new-study"
    new_study(empty)
    assert main(["solutions", str(empty)]) == 0
    said = capsys.readouterr()
    assert "Answer: this study cannot answer it" in said.out and "Bear in mind:" in said.out
    assert "Warning" not in said.out + said.err and ".py:" not in said.out + said.err


def test_a_study_without_the_data_says_the_exercise_cannot_be_answered(tmp_path):
    new_study(tmp_path / "s")
    with pytest.warns(studylib.StudylibWarning, match="has a header but no rows"):
        r = compute_check(load_study(tmp_path / "s"))
    feedback = check_answer("flow.clean_share", 0.5, r)
    assert feedback.status == "no answer here" and "try it on the sample study" in feedback.message


# -- reflections, purpose --------------------------------------------------------------------------

def test_reflections_round_trip_and_problems_are_named(tmp_path):
    save_reflection(tmp_path, "demand", {"surprised": "Half the calls are chasing.", "next": ""})
    save_reflection(tmp_path, "flow", {"manager": "The two clocks."})
    assert read_reflections(tmp_path) == ({"demand": {"surprised": "Half the calls are chasing."},
                                           "flow": {"manager": "The two clocks."}}, [])
    with pytest.raises(ValueError, match="did you mean 'demand'"):
        save_reflection(tmp_path, "demnd", {"surprised": "x"})
    (tmp_path / "reflections.yml").write_text("demand: {suprised: x}\nflw: {next: y}\nflow: just text\n")
    _, problems = read_reflections(tmp_path)
    assert any("'suprised' is not a prompt; did you mean 'surprised'?" in p for p in problems)
    assert any("'flw' is not a stage; did you mean 'flow'?" in p for p in problems)
    assert any("flow: should hold surprised:, manager: and next:, not a str" in p for p in problems)


def test_purpose_counts_its_words_and_sits_beside_what_the_targets_imply(sample_results):
    assert word_count("Fix it first-time, when it suits me.") == 7
    said = purpose_check("Fix it first time", sample_results)
    assert "4 words, within the 150" in said
    assert "Housing repairs: close each case within 28 days of registering it." in said
    long = purpose_check(" ".join(["word"] * 151), sample_results)
    assert "151 words: more than 150" in long
    assert "purpose:" in long                        # where to write it when agreed
    from studylib.measures.purpose import purpose_statements
    table = purpose_statements(sample_results.study.findings, sample_results.study.config)
    assert table["statement"].tolist()[-1] == "De facto purpose, as the study's targets imply"


def test_a_long_purpose_is_flagged_in_the_report_prose(tmp_path):
    study = tmp_path / "s"
    shutil.copytree(SAMPLE, study)
    findings = yaml.safe_load((study / "findings.yml").read_text())
    findings["purpose"] = " ".join(["help"] * 160)
    (study / "findings.yml").write_text(yaml.safe_dump(findings))
    prose = compute_check(load_study(study)).prose["Purpose"]
    assert "At 160 words it is longer than the 150 a purpose should take" in prose["what"]
    assert "The study's targets reward this: Housing repairs: close each case within 28 days" in prose["so what"]


# -- the notebooks ---------------------------------------------------------------------------------

def test_each_stage_notebook_teaches_asks_and_checks():
    for nb_path in stage_notebooks(NOTEBOOKS):
        if nb_path.stem not in STAGE_TITLES:
            continue
        nb = nbformat.read(str(nb_path), as_version=4)
        teach = [c for c in nb.cells if "teach" in c.metadata.get("tags", [])]
        opening = next(i for i, c in enumerate(nb.cells) if "teach" in c.metadata.get("tags", []))
        assert opening <= 1 and "After it you will be able to" in nb.cells[opening].source, nb_path.name
        assert "What to look for in each chart" in nb.cells[opening].source
        assert "ReflectionForm(study" in nb.cells[-1].source and nb.cells[-1] in teach, nb_path.name
        assert any("What surprised you?" in c.source and "What should you study next?" in c.source for c in teach)
        asked = re.findall(r'check_answer\("([\w.]+)", answer, r\)', "\n".join(c.source for c in teach))
        assert len(asked) >= 2, nb_path.name
        assert {EXERCISES[k].stage for k in asked} == {STAGE_TITLES[nb_path.stem]}
        # Every code cell that checks an answer or asks a prediction is a teaching cell.
        for cell in nb.cells:
            if "check_answer(" in cell.source or "PredictionForm(" in cell.source or "purpose_check(" in cell.source:
                assert cell in teach, (nb_path.name, cell.source)
        keys = {k for k, p in PREDICTIONS.items() if p.stage == STAGE_TITLES[nb_path.stem]}
        for key in keys:
            assert any(f"'{key}'" in c.source and "PredictFirst(" in c.source for c in teach), (nb_path.name, key)
        if keys:   # predict first: every results cell after the form runs folded
            form = next(i for i, c in enumerate(nb.cells) if "PredictFirst(" in c.source)
            results_cells = [c for c in nb.cells[form + 1:] if c.cell_type == "code" and c not in teach]
            assert results_cells and all(c.source.startswith(("with fold():", "fold(lambda: ")) for c in results_cells), \
                nb_path.name
        # Exercises are numbered as the checker numbers them, and show the example the checker gives.
        for key in asked:
            assert f"**Exercise {number(key)}.**" in "\n".join(c.source for c in teach), key
            assert f"# like {EXERCISES[key].example}" in "\n".join(c.source for c in teach), key
    capability = "\n".join(c.source for c in nbformat.read(str(NOTEBOOKS / "03_capability.ipynb"), as_version=4).cells
                            if "teach" in c.metadata.get("tags", []))
    for step in ("moving range", "2.66", "mean moving range", "beyond", "seven in a row", "Why a long series"):
        assert step in capability, step
    required = {"failure_share", "end_to_end_days", "clean_share"}
    assert required <= set(PREDICTIONS)


@pytest.fixture(scope="module")
def taught_reports(tmp_path_factory):
    """The check on a copy of the sample with the team's predictions and reflections in it."""
    root = tmp_path_factory.mktemp("taught")
    study = root / "study"
    shutil.copytree(SAMPLE, study)
    save_prediction(study, "failure_share", "20%")
    save_prediction(study, "end_to_end_days", 10)
    save_prediction(study, "clean_share", 0.5)
    save_reflection(study, "demand", {"surprised": "<b>Half</b> the calls chase a repair; ring Jo on 07700 900123.",
                                      "manager": "The chasing calls, in the customers' words."})
    (study / "predictions.yml").write_text((study / "predictions.yml").read_text() + "handofs_per_case: 2\n")
    table = run_check(study, root / "out", notebooks_dir=NOTEBOOKS, progress=False)
    return root / "out", table, compute_check(load_study(study))


@pytest.mark.slow
def test_reports_set_predictions_beside_results_and_quote_reflections(taught_reports):
    out, table, results = taught_reports
    assert table["status"].tolist() == ["ok"] * len(table)
    failure = results.demand["overall"]["failure_share"].iloc[0]
    demand = (out / "02_demand.html").read_text()
    assert f"The team expected 20% failure demand; it is {failure:.0%}." in demand
    flow = (out / "04_flow.html").read_text()
    assert "The team expected 50% of cases to arrive clean; it is 100%." in flow
    summary = (out / "00_summary.html").read_text()
    assert "the team expected" in summary and "20%" in summary and f"{failure:.0%}" in summary
    # Reflections are quoted, escaped and redacted.
    assert "Half</b>" not in summary and "&lt;b&gt;Half&lt;/b&gt; the calls chase a repair" in summary
    assert "07700 900123" not in summary and "[phone]" in summary
    # A mistyped key is said, with the nearest one, and left out.
    assert "did you mean &#x27;handoffs_per_case&#x27;?" in summary or "did you mean 'handoffs_per_case'?" in summary
    for report in out.glob("*.html"):
        text = report.read_text()
        for teaching in ("Before you start", "Exercise 2.1", "Key points", "check_answer", "Before you look",
                         "widget-state", "Textarea", "Save reflections"):
            assert teaching not in text, (report.name, teaching)
        if report.name != "00_summary.html":          # the summary quotes the answers with their prompts
            assert "What surprised you?" not in text, report.name
    # Each stage asks one exercise its report does not answer: the learner computes it.
    pages = {"Purpose": "01_purpose", "Demand": "02_demand", "Capability": "03_capability", "Flow": "04_flow",
             "System conditions": "05_system_conditions"}
    for key, ex in EXERCISES.items():
        if not ex.computed:
            continue
        html = (out / f"{pages[ex.stage]}.html").read_text()
        words = re.sub(r"<[^>]+>", " ", re.sub(r"<(img|source)[^>]*>", " ", html))
        value = solution(key, results).value
        if ex.kind == "text":     # a cross-tab's cell: the page names both, never the one beside the other
            words = re.sub(r"\s+", " ", words)
            top = solution("purpose.top_value", results).value
            near = [m.start() for m in re.finditer(re.escape(top), words)]
            assert not any(value in words[max(0, at - 300):at + 300] for at in near), (key, value)
            continue
        if "practice_series" in ex.start:   # worked on ten cases the report never lists (a run of 3 is any 3)
            ten = practice_series(results).index.astype(str)
            assert sum(case in words for case in ten) < len(ten), key
            if float(value).is_integer() and value < 10:
                continue
        shown = f"{value:.1%}" if ex.kind == "share" else (f"{value:,.0f}" if float(value).is_integer() else f"{value:.2f}")
        assert not re.search(rf"(?<![\d.,]){re.escape(shown)}(?![\d%]|[.,]\d)", words), (key, shown)
    # The executed notebooks kept beside the reports hold no output of the team's forms either.
    for executed in (out / "notebooks").glob("*.ipynb"):
        assert "07700 900123" not in executed.read_text(), executed.name


def test_without_predictions_the_summary_says_none_were_written(tmp_path):
    from studylib.check.pages import predictions_beside
    shutil.copytree(SAMPLE, tmp_path / "s", ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml"))
    r = compute_check(load_study(tmp_path / "s"))
    assert r.predictions == {} and r.reflections == {}
    assert "The team wrote down no predictions" in predictions_beside(r).data
    assert predictions_beside(r, "Demand").data == ""


# -- capture reaches the check ---------------------------------------------------------------------

@pytest.mark.slow
def test_contacts_captured_in_a_new_study_reach_the_demand_report(tmp_path):
    study = tmp_path / "my-study"
    new_study(study)
    store = studylib.study_store(study)
    assert store.path == study / "capture.sqlite"
    for i in range(20):
        store.add({"channel": "phone" if i % 2 else "email", "service": "Repairs",
                   "received_at": f"2025-02-{i + 1:02d} 10:{i:02d}",
                   "verbatim": f"Chasing my repair again, number {i}" if i < 8 else f"Please fix my broken window {i}",
                   "value_or_failure": "failure" if i < 8 else "value",
                   "demand_type": "Chasing a repair" if i < 8 else "Report a repair"})
    with pytest.warns(studylib.StudylibWarning, match="events.csv has a header but no rows") as said:
        loaded = load_study(study)
    assert not any("demand.csv" in str(w.message) for w in said)   # the store holds the contacts
    assert len(loaded.demand) == 20
    assert loaded.quality.set_index("file").loc["capture.sqlite", "rows_kept"] == 20
    out = tmp_path / "out"
    table = run_check(study, out, notebooks_dir=NOTEBOOKS, progress=False)
    assert table.set_index("notebook").loc["02_demand.ipynb", "status"] == "ok"
    demand = (out / "02_demand.html").read_text()
    assert "20 contacts" in demand and "40% of demand is failure demand" in demand
    manifest = (out / "run_manifest.json").read_text()
    assert "capture.sqlite" in manifest


def test_a_contact_both_exported_and_still_captured_counts_once(tmp_path):
    study = tmp_path / "s"
    shutil.copytree(SAMPLE, study)
    store = studylib.study_store(study)
    first = load_study(study).demand.iloc[0]
    store.add({"contact_id": first["contact_id"], "channel": "phone", "service": "Highways",
               "received_at": "2025-02-03 10:00", "verbatim": "A pot-hole on my road"})
    store.add({"channel": "phone", "service": "Highways", "received_at": "2025-02-03 11:00",
               "verbatim": "Another pot-hole"})
    loaded = load_study(study)
    assert len(loaded.demand) == len(load_study(SAMPLE).demand) + 1
    aside = loaded.set_aside[loaded.set_aside["file"] == "capture.sqlite"]
    assert aside["reason"].tolist() == ["duplicate contact_id"]
    assert aside["detail"].iloc[0].startswith("already in the demand file, row ")
    q = loaded.quality[loaded.quality["file"] == "capture.sqlite"]
    assert q["rows_read"].iloc[0] == 2 and q["rows_kept"].iloc[0] == 1


def test_capture_needs_a_study_of_the_teams_own(tmp_path):
    with pytest.raises(StudylibError, match="name the study folder you are capturing for"):
        studylib.study_store(None)
    with pytest.raises(StudylibError, match="is the bundled sample study"):
        studylib.study_store(SAMPLE)
    assert not (SAMPLE / "capture.sqlite").exists()
    (tmp_path / "s").mkdir()
    shutil.copy(SAMPLE / "study.yml", tmp_path / "s" / "study.yml")
    (tmp_path / "s" / "capture.sqlite").write_text("not a database, just text\n" * 100)
    with pytest.raises(studylib.DataError, match="capture.sqlite.*is not a capture store"):
        load_study(tmp_path / "s")


@pytest.mark.slow
def test_capture_notebook_refuses_to_run_without_a_study(tmp_path):
    import papermill as pm
    with pytest.raises(pm.PapermillExecutionError, match="name the study folder you are capturing for"):
        pm.execute_notebook(str(NOTEBOOKS / "02a_capture.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
                            cwd=str(NOTEBOOKS), progress_bar=False)


# -- the forms -------------------------------------------------------------------------------------

def test_prediction_and_reflection_forms_write_the_study_files(tmp_path):
    from studylib.teaching.widgets import PredictionForm, ReflectionForm
    form = PredictionForm(tmp_path, ["failure_share", "end_to_end_days"])
    form.fields["failure_share"].value = "35%"
    form.fields["end_to_end_days"].value = "ten"
    assert not form.save()
    assert "is not a number" in form.message.value
    assert read_predictions(tmp_path)[0] == {"failure_share": 0.35}
    form.fields["end_to_end_days"].value = "10"
    assert form.save() and read_predictions(tmp_path)[0] == {"failure_share": 0.35, "end_to_end_days": 10.0}
    again = PredictionForm(tmp_path, ["failure_share"])
    assert again.fields["failure_share"].value == "35%"        # what was saved is shown again
    reflect = ReflectionForm(tmp_path, "flow")
    reflect.fields["surprised"].value = "The hidden wait."
    assert reflect.save()
    assert read_reflections(tmp_path)[0] == {"flow": {"surprised": "The hidden wait."}}


@pytest.mark.slow
def test_every_stage_notebook_runs_whole_as_a_learner_runs_it(tmp_path):
    """Top to bottom, teaching cells included, with no results file (as in JupyterLab): with the
    team's predictions and reflections, and an answer typed into one exercise."""
    import papermill as pm
    study = tmp_path / "study"
    shutil.copytree(SAMPLE, study, ignore=shutil.ignore_patterns("predictions.yml", "reflections.yml", "capture.sqlite*"))
    save_prediction(study, "failure_share", 0.3)
    save_reflection(study, "flow", {"next": "Follow five cases."})
    results = compute_check(load_study(study))
    for nb_path in stage_notebooks(NOTEBOOKS):
        given = nbformat.read(str(nb_path), as_version=4)
        for cell in given.cells:     # the learner types each right answer where the notebook says
            key = re.search(r'check_answer\("([\w.]+)", answer, r\)', cell.source)
            if key:
                value = solution(key.group(1), results).value
                cell.source = cell.source.replace("answer = ...", f"answer = {value!r}")
        typed = tmp_path / f"typed_{nb_path.name}"
        nbformat.write(given, str(typed))
        out = tmp_path / nb_path.name
        pm.execute_notebook(str(typed), str(out), parameters={"study": str(study)}, kernel_name="python3",
                            cwd=str(NOTEBOOKS), progress_bar=False)
        nb = nbformat.read(str(out), as_version=4)
        teach = [c for c in nb.cells if "teach" in c.metadata.get("tags", []) and c.cell_type == "code"]
        if nb_path.stem in STAGE_TITLES:
            shows = [c for c in teach if "check_answer(" in c.source or "Form(" in c.source or "First(" in c.source
                     or "purpose_check(" in c.source]
            assert shows and all(c.outputs for c in shows), nb_path.name
            checked = [c for c in teach if "check_answer(" in c.source and "answer =" in c.source]
            assert len(checked) == len(exercises(STAGE_TITLES[nb_path.stem]))
            for cell in checked:
                said = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in cell.outputs)
                assert said.startswith("Right: "), (nb_path.name, cell.source, said)
        if nb_path.stem == "02_demand":
            shown = " ".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells for o in c.get("outputs", []))
            assert "The team expected 30% failure demand; it is" in shown


def test_results_stay_folded_until_the_predictions_are_saved(tmp_path):
    from studylib.teaching.predictions import read_skips
    from studylib.teaching.widgets import PredictFirst
    gate = PredictFirst(tmp_path, ["end_to_end_days", "clean_share"], "Flow")
    assert not gate.opened
    with gate.fold():
        print("It is 24 days")
    assert [html for _, html in gate.folded] == ["<pre>It is 24 days\n</pre>"]   # kept, not shown
    gate.fold(lambda: "you expected 10")         # said when the results open, from what was saved by then
    assert callable(gate.folded[1][1])
    # An empty form is refused in words, and writes nothing.
    assert not gate.form.save()
    assert "Nothing saved: write what you expect in each box first" in gate.form.message.value
    assert not (tmp_path / "predictions.yml").exists() and not gate.opened
    # Half a form is saved but keeps the results folded.
    gate.form.fields["end_to_end_days"].value = "10"
    assert not gate.form.save() and "Saved 1 of 2" in gate.form.message.value and not gate.opened
    gate.form.fields["clean_share"].value = "40%"
    assert gate.form.save() and gate.opened
    with gate.fold() as shown:                  # open now: a cell's output goes straight to the page
        assert shown is None
    # Saved predictions open the next run at once; a report run is never folded.
    assert PredictFirst(tmp_path, ["end_to_end_days"], "Flow").opened
    assert PredictFirst(tmp_path / "x", ["failure_share"], "Demand", active=False).opened
    # Looking without predicting opens the results and is recorded, not mistaken for a prediction.
    other = PredictFirst(tmp_path, ["failure_share"], "Demand")
    other.show_without_predicting()
    assert other.opened
    assert read_skips(tmp_path) == ["Demand"]
    assert read_predictions(tmp_path) == ({"end_to_end_days": 10.0, "clean_share": 0.4}, [])
    assert PredictFirst(tmp_path, ["failure_share"], "Demand").opened


def test_a_stage_seen_without_predicting_is_said_in_the_reports(sample_study, tmp_path):
    from studylib.check.pages import predictions_beside
    from studylib.teaching.predictions import record_skip
    study = tmp_path / "s"
    shutil.copytree(sample_study.path, study, ignore=shutil.ignore_patterns("capture.sqlite*"))
    record_skip(study, "Capability")
    r = compute_check(load_study(study))
    assert "chose to see these results before writing its predictions" in predictions_beside(r, "Capability").data
    assert "looked at the results of Capability before writing" in predictions_beside(r).data


@pytest.mark.slow
def test_a_contact_captured_in_the_period_is_counted_and_one_outside_it_is_named(tmp_path, capsys):
    """The form in the sample (as the capture notebook sets it up): a contact dated in the period
    reaches the next check; one stamped today is named at Save, in the live count and by the check."""
    import pandas as pd
    from studylib.capture.widgets import CaptureForm, LiveCounts
    from studylib.cli import main
    study = tmp_path / "sample"
    assert main(["sample", str(study)]) == 0
    s = load_study(study)
    before = len(s.demand)
    period = (s.config["period"]["start"], s.config["period"]["end"])
    store = studylib.study_store(study)
    form = CaptureForm(store, codebook=s.demand_codebook, services=s.config.get("services") or [], period=period,
                       clock=lambda: pd.Timestamp("2026-12-03 10:00", tz="Europe/London"))
    form.fields["service"].value = "Housing repairs"
    form.fields["verbatim"].value = "The tap is still dripping, third time I've called"
    form.fields["when"].value = "2025-03-14 10:30"
    assert form.submit() and "dated 14 March 2025, 10:30" in form.message.value
    assert "outside" not in form.message.value
    form.fields["verbatim"].value = "Nobody came to look at the damp"
    form.fields["when"].value = ""                          # now: outside the sample's 2025 period
    assert form.submit()
    assert "dated 3 December 2026, 10:00: outside this study's period" in form.message.value
    assert "the check will leave it out" in form.message.value and "2025-03-14 10:30" in form.message.value
    live = LiveCounts(store, period=period)
    assert "<b>2 contacts</b>" in live.widget.value and "1 contact is dated outside the study" in live.widget.value
    capsys.readouterr()
    assert main(["check", str(study), "--out", str(tmp_path / "out"), "-q"]) == 0
    said = capsys.readouterr().out
    assert ("1 contact captured in capture.sqlite is dated outside the study's period (6 January 2025 to 11 May "
            "2025), on 3 December 2026, so the check leaves it out") in said
    with pytest.warns(studylib.StudylibWarning, match="1 contact captured in capture.sqlite is dated outside"):
        assert len(load_study(study).demand) == before + 1
    demand = (tmp_path / "out" / "02_demand.html").read_text()
    assert f"{before + 1:,} contacts" in demand


# -- a share is read one way wherever it is typed -------------------------------------------------

@pytest.mark.parametrize("typed", [0.49, "0.49", "49%", "49", 49, " 49 % "])
def test_a_share_typed_any_of_the_ways_people_write_it_is_the_same_share(typed):
    from studylib.teaching.numbers import read_number
    number, problem, note = read_number(typed, "share")
    assert problem is None and abs(number - 0.49) < 1e-12
    assert note == ("" if str(typed).strip() in ("0.49", "49%", "49 %") else f"read {str(typed).strip()} as {str(typed).strip()}%")


@pytest.mark.parametrize("typed, says", [("149", "149 is more than the whole (100%)"), ("about half", "'about half' is not a number"),
                                         (True, "True is not a number")])
def test_a_share_that_cannot_be_read_one_way_is_refused_with_how_to_write_it(typed, says):
    from studylib.teaching.numbers import read_number
    number, problem, _ = read_number(typed, "share")
    assert number is None and says in problem
    assert "write a share like 0.2 or 20%" in problem or "write it like 0.2 or 20%" in problem


def test_the_exercise_and_the_prediction_read_49_as_49_percent_and_say_so(sample_results, tmp_path):
    """check_answer took 49 as 49% without a word, and the prediction form refused 60; its message
    hid that the other values were saved."""
    from studylib.teaching import check_answer
    from studylib.teaching.exercises import solution
    right = solution("demand.failure_share", sample_results).value
    typed = f"{right * 100:.1f}".rstrip("0").rstrip(".")
    feedback = check_answer("demand.failure_share", typed, sample_results)
    assert feedback.status == "right" and f"(I read {typed} as {typed}%.)" in feedback.message
    assert "(I read" not in check_answer("demand.failure_share", f"{typed}%", sample_results).message
    from studylib.teaching.widgets import PredictionForm
    form = PredictionForm(tmp_path, ["failure_share", "clean_share", "end_to_end_days"])
    form.fields["failure_share"].value, form.fields["clean_share"].value = "60", "0.3"
    form.fields["end_to_end_days"].value = "soon"
    assert form.save() is False
    said = html.unescape(form.message.value)
    assert "Saved 2 of 3 to predictions.yml: 60% failure demand (read 60 as 60%); 30% of cases to arrive clean." in said
    assert "Not saved: end_to_end_days: 'soon' is not a number" in said
    assert read_predictions(tmp_path)[0] == {"failure_share": 0.6, "clean_share": 0.3}


# -- every hint's recipe runs, and gives the answer ------------------------------------------------

def _recipes_on(results):
    """Run each computed exercise's recipe from the cell the notebook gives (its ``start``), warnings
    as errors: {key: what check_answer says of the recipe's answer}."""
    import warnings

    from studylib.teaching import EXERCISES, check_answer, solution
    from studylib.teaching.worked import practice_series
    said = {}
    for key, ex in EXERCISES.items():
        if not ex.computed:
            continue
        assert ex.recipe, f"{key} computes, and has no recipe for its hint"
        if ex.answer(results) is None:
            continue                  # this study cannot answer it: said so by check_answer
        space = {"r": results, "practice_series": practice_series, "solution": solution}   # as the notebooks import
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            exec(ex.start + "\n" + ex.recipe, space)
        said[key] = check_answer(key, space["answer"], results).status
    return said


def test_every_hints_recipe_runs_without_a_warning_and_gives_the_answer(sample_results):
    """2.4's hint printed a pink time-zone warning (to_period on an aware time); 4.4's said "not open"
    where the column is is_open. Each hint is now code as well as words, run here."""
    said = _recipes_on(sample_results)
    assert said == {key: "right" for key in said} and len(said) == 10, said


def test_every_hints_recipe_runs_on_a_new_study_from_an_export(tmp_path):
    """On Los Angeles' 311 cases, through studylib new --from: what it can answer, the recipe answers."""
    from conftest import shared_file
    from studylib import compute_check, load_study
    from studylib.cli import main
    assert main(["new", str(tmp_path / "la"), "--from", str(shared_file("311/la_311_2017_subset.csv"))]) == 0
    said = _recipes_on(compute_check(load_study(tmp_path / "la")))
    assert said and said == {key: "right" for key in said}, said


def test_a_limit_computed_by_hand_with_two_figure_rounding_is_right(sample_results):
    """3.7 + 2.66 × 2.1 = 9.29 was called "you used the standard deviation with 2.66" (2.66 × SD gives
    9.28): a slip is named only where no right calculation gives the number."""
    from studylib.teaching import check_answer
    from studylib.teaching.worked import limits_by_hand, practice_series
    steps = limits_by_hand(practice_series(sample_results))
    by_hand = round(round(steps["mean"], 1) + 2.66 * round(steps["mean_moving_range"], 1), 2)
    assert abs(by_hand - steps["upper"]) > 0.02          # outside the tolerance of the exact answer
    assert check_answer("capability.upper_limit", by_hand, sample_results).status == "right"


def test_the_study_charts_limit_given_for_the_ten_cases_is_named(sample_results):
    from studylib.teaching import check_answer
    lead = sample_results.capability["lead"]
    upper = float(sample_results.capability["limits"][lead].iloc[-1]["upper"])
    said = check_answer("capability.upper_limit", round(upper, 1), sample_results).message
    assert "that is the upper limit of the study's chart, from all 353 cases of the system as it is now" in said



def test_a_prediction_is_locked_once_its_results_open_and_looking_first_cannot_follow(tmp_path):
    """After saving, Show without predicting still worked (the summary then said the team looked
    first), and Save stayed live: re-saving 49% silently replaced 25%."""
    from studylib.teaching.predictions import CHANGED, read_skips, record_skip, save_prediction
    from studylib.teaching.widgets import PredictFirst
    gate = PredictFirst(tmp_path, ["failure_share"], "Demand")
    gate.form.fields["failure_share"].value = "25%"
    assert gate.form.save() and gate.opened
    assert gate.form.save_button.disabled and gate.form.fields["failure_share"].disabled
    assert gate.skip_button.disabled and "Locked: the results are open" in gate.form.message.value
    gate.show_without_predicting()
    assert read_skips(tmp_path) == []
    with pytest.raises(ValueError, match="Demand's predictions are saved already: the team predicted before it looked"):
        record_skip(tmp_path, "Demand")
    again = PredictFirst(tmp_path, ["failure_share"], "Demand")          # the notebook run again: locked from the start
    assert again.opened and again.form.save_button.disabled
    save_prediction(tmp_path, "failure_share", "49%")                    # changed by hand or by code: kept, with when
    data = yaml.safe_load((tmp_path / "predictions.yml").read_text(encoding="utf-8"))
    assert data["failure_share"] == 0.49 and [(c["key"], c["was"], c["now"]) for c in data[CHANGED]] == [
        ("failure_share", 0.25, 0.49)]
    assert read_predictions(tmp_path) == ({"failure_share": 0.49}, [])


def test_each_notebook_asks_the_predictions_of_its_own_stage_and_no_other():
    """The keys a notebook's form asks are its stage's, so that a prediction moved to the notebook that
    first shows its figure (the customer's average wait, charted in 03) is asked there and only there."""
    from studylib.teaching.predictions import PREDICTIONS
    asked = {}
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        for found in re.finditer(r"PredictFirst\(study, (\[[^\]]*\]), \\\"(\w[\w ]*)\\\"", path.read_text(encoding="utf-8")):
            asked[found.group(2)] = sorted(eval(found.group(1)))
    assert asked == {stage: sorted(k for k, p in PREDICTIONS.items() if p.stage == stage)
                     for stage in {p.stage for p in PREDICTIONS.values()}}
    assert PREDICTIONS["end_to_end_days"].stage == "Capability"


def test_the_open_cases_lesson_shows_on_the_sample_what_finished_cases_alone_hide(sample_results):
    """04 promised that counting only finished cases makes the service look faster, but on the sample
    both counts agree (few open cases). Cut short, the earlier system shows it: the finished-only
    median is below what those cases took, and the estimate with open cases is close to it."""
    from studylib.teaching.open_cases import cut_short
    shown = cut_short(sample_results)
    finished, estimate, truth = shown["finished_only"][0], shown["estimate"][0], shown["truth"][0]
    assert shown["open"] > 0.3 * shown["cases"]
    assert truth - finished > 2 and abs(estimate - truth) < 0.5 * (truth - finished)
    assert "the finished cases alone made the service look" in shown["sentence"]


def test_02a_practises_value_and_failure_on_ten_contacts_with_why(sample_study):
    """02a was a tool, not a lesson: ten labelled contacts to call value or failure come first, each
    wrong answer said back with why (the kind of failure), personal data hidden."""
    from studylib.teaching.practice import check_labels, practice_contacts
    demand = sample_study.demand.copy()
    first = demand.index[demand["value_or_failure"].eq("failure")][0]
    demand.loc[first, "verbatim"] = "ring me on 07700 900123, still no heating"
    practice = practice_contacts(demand)
    assert practice["number"].tolist() == list(range(1, 11))
    assert practice["value_or_failure"].value_counts().to_dict() == {"value": 5, "failure": 5}
    assert practice["demand_type"].nunique() >= 8
    assert not practice["verbatim"].str.contains("07700 900123").any()
    right, said = check_labels(practice, practice["value_or_failure"].tolist())
    assert right == 10 and said.startswith("All 10 right")
    flipped = ["value" if v == "failure" else "failure" for v in practice["value_or_failure"]]
    flipped[0] = practice["value_or_failure"].iloc[0]
    right, said = check_labels(practice, flipped)
    assert right == 1 and said.startswith("1 of 10 right.")
    chasing = practice[practice["failure_subtype"].eq("progress chasing")]
    if len(chasing):
        assert "the customer is chasing something that should already have happened" in said
    assert "value demand: what the service is there to do" in said
    assert "Write 10 answers" in check_labels(practice, ["value"])[1]


# -- two exercises a stage that compute, and a judgement with a model answer -------------------------

def test_every_stage_has_two_exercises_that_compute_and_a_judgement_in_its_notebook():
    """Most exercises were look-ups (read off a table a screen above): each stage now has two the
    learner works out from the data, and one judgement question whose model answer opens after."""
    from studylib.teaching.judgements import JUDGEMENTS
    from studylib.teaching.predictions import REFLECTION_STAGES
    notebooks = {"purpose": "01_purpose", "demand": "02_demand", "capability": "03_capability", "flow": "04_flow",
                 "system_conditions": "05_system_conditions"}
    for key, title in REFLECTION_STAGES.items():
        computed = [e for e in exercises(title) if e.computed]
        assert len(computed) >= 2, (title, [e.key for e in computed])
        assert key in JUDGEMENTS
        nb = nbformat.read(ROOT / "notebooks" / f"{notebooks[key]}.ipynb", as_version=4)
        code = [c.source for c in nb.cells if c.cell_type == "code" and "teach" in c.metadata.get("tags", [])]
        assert any(f'JudgementForm(study, "{key}", r)' in c for c in code), key
        for ex in computed:    # the cell starts where the exercise's recipe starts
            assert any(ex.start in c and f'check_answer("{ex.key}"' in c for c in code), ex.key


def test_the_new_exercises_name_their_slips(sample_results):
    from studylib.teaching.worked import longest_run, runs_by_hand
    r = sample_results
    p = r.demand["problems"]
    contacts = p.loc[p["contacts"] > 1, "contacts"].sum() / p["contacts"].sum()
    said = check_answer("demand.repeat_share", contacts, r)
    assert said.status == "not yet" and "count problems, not contacts" in said.message
    assert check_answer("demand.repeat_share", f"{(p['contacts'] > 1).mean():.1%}", r)
    days = practice_series(r)
    around_mean = longest_run(days, days.mean())[0]
    runs = runs_by_hand(days)
    assert around_mean != runs["longest"]          # the sample's ten tell the two apart
    said = check_answer("capability.longest_run", around_mean, r)
    assert said.status == "not yet" and "around the median" in said.message
    right = check_answer("capability.longest_run", runs["longest"], r)
    assert right and f"where chance allows up to {runs['run_max']}" in right.message
    t = r.flow["times"]
    old = t[(t["era"] == t["era"].min()) & ~t["is_open"]].dropna(subset=["end_to_end_days", "hidden_days"])
    said = check_answer("flow.hidden_share", (old["hidden_days"] / old["end_to_end_days"]).mean(), r)
    assert said.status == "not yet" and "add up the days first" in said.message
    before = solution("conditions.chasing_before", r).value
    assert before > solution("conditions.chasing_now", r).value         # the redesign cut chasing
    assert solution("purpose.value_matters", r).value == "fixed first time"


def test_a_judgements_model_answer_opens_only_after_the_learners_own_is_saved(tmp_path, sample_results):
    from studylib.teaching.judgements import JUDGEMENTS, model_answer
    from studylib.teaching.predictions import read_judgements, save_judgement
    from studylib.teaching.widgets import JudgementForm
    form = JudgementForm(tmp_path, "capability", sample_results)
    assert form.button.disabled and form.model.value == "" and "8 words at least" in form.message.value
    form.box.value = "It is fine"
    assert form.button.disabled and not form.compare() and form.model.value == ""
    assert not (tmp_path / "judgements.yml").exists()
    form.box.value = "The target lies above the upper limit so it says nothing about the system"
    assert not form.button.disabled and form.compare()
    now = sample_results.capability["limits"][sample_results.capability["lead"]].iloc[-1]
    assert f"between 0 and {now['upper']:.1f} days" in form.model.value
    assert all(case in form.model.value for case in now["exception_ids"])
    assert form.box.disabled and read_judgements(tmp_path)[0]["capability"]["answer"].startswith("The target lies")
    # The first answer stands: it was written before the model answer was read.
    with pytest.raises(ValueError, match="saved already"):
        save_judgement(tmp_path, "capability", "something else, after reading the model answer")
    again = JudgementForm(tmp_path, "capability", sample_results)
    assert again.box.disabled and "A model answer" in again.model.value
    # Every stage's model answer is made from the sample's figures, and escaped into the page.
    for stage in JUDGEMENTS:
        words = model_answer(stage, sample_results)
        assert words and len(words.split()) > 25, stage
    assert "Chasing a repair: 710 contacts" in model_answer("demand", sample_results)


def test_a_judgement_that_cannot_be_saved_keeps_the_model_answer_closed(tmp_path, sample_results):
    from studylib.teaching.widgets import JudgementForm
    (tmp_path / "judgements.yml").write_text("capability: [unclosed\n")
    form = JudgementForm(tmp_path, "capability", sample_results)
    form.box.value = "The target lies above the upper limit so it says nothing about the system"
    assert not form.compare()
    assert "Not saved" in form.message.value and form.model.value == "" and not form.box.disabled


def test_judgements_on_a_new_study_from_an_export_say_what_its_data_can(tmp_path):
    """Los Angeles' 311 cases, through studylib new --from: a model answer where its data can make one,
    and the form says so where it cannot; no stage fails."""
    from conftest import shared_file
    from studylib.cli import main
    from studylib.teaching.judgements import JUDGEMENTS, model_answer
    from studylib.teaching.widgets import JudgementForm
    assert main(["new", str(tmp_path / "la"), "--from", str(shared_file("311/la_311_2017_subset.csv"))]) == 0
    results = compute_check(load_study(tmp_path / "la"))
    made = {stage: model_answer(stage, results) for stage in JUDGEMENTS}
    assert made["capability"] and made["flow"], made
    # Five days of finished cases judge nothing: the model answer promises no range and says why.
    lead = results.capability["lead"]
    assert results.capability["limits"][lead].iloc[-1]["status"] == "too few"
    assert "cannot be judged yet (only 5 days with finished cases): no range can be promised" in made["capability"]
    assert "predictably deliver" not in made["capability"] and "tell the manager the range" not in made["capability"]
    for stage in JUDGEMENTS:
        form = JudgementForm(tmp_path / "la", stage, results)
        form.box.value = "We would look at the largest group of cases first and follow them"
        assert form.compare()
        assert ("A model answer" in form.model.value) == bool(made[stage])
        assert made[stage] or "cannot make a model answer" in form.model.value


def test_clean_has_one_meaning_in_the_package_and_the_notebooks():
    """"Clean" meant two things: cases that "flow clean, with no waste step at all" in the question
    and the checker, work that arrived clean in the code. It means the second everywhere: a case that
    arrived with what the work needs; waste is counted apart."""
    import re
    from studylib.teaching.exercises import EXERCISES
    from studylib.teaching.predictions import PREDICTIONS
    texts = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
             for p in [*(ROOT / "studylib").rglob("*.py"), *(ROOT / "notebooks").glob("*.ipynb"), ROOT / "README.md"]}
    for name, text in texts.items():
        for other in ("flow clean", "flowing clean", "no waste step"):
            assert other not in text.lower(), (name, other)
    assert "arrived clean" in EXERCISES["flow.clean_share"].question
    assert "arriving clean" in PREDICTIONS["clean_share"].words.format("50%") or \
           "arrive clean" in PREDICTIONS["clean_share"].words.format("50%")
    assert re.search(r"arrive[sd]? clean", texts["studylib/prose/flow.py"])
