"""``clearance intake``: declare a use case by answering only the questions that matter."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.markup import escape

from clearance.cli.app import EXIT_INPUT, app, input_errors, stderr, stdout
from clearance.manifest.errors import InputError, ManifestError

if TYPE_CHECKING:  # the manifest models and the packs (pydantic): imported when intake runs
    from clearance.manifest.models import Manifest
    from clearance.policy.intake import IntakeSession, Question

_META = ("id", "title", "description")


@app.command()
def intake(
    manifest_path: Annotated[
        Path, typer.Argument(help="Production manifest to add the use case to (YAML or JSON).")
    ],
    use_case_id: Annotated[
        str | None,
        typer.Option("--use-case", "-u", help="Id of the new use case (default: next UC-NNN)."),
    ] = None,
    title: Annotated[str | None, typer.Option("--title", "-t", help="Its title.")] = None,
    description: Annotated[
        str | None, typer.Option("--description", help="Free-text description.")
    ] = None,
    answers_file: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            help="YAML/JSON mapping of fact (or question id) → answer; no prompts. May also "
            "hold id, title and description.",
        ),
    ] = None,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer",
            "-a",
            help="fact=value (repeatable; lists comma-separated); no prompts.",
        ),
    ] = None,
    policies: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            "--pack",
            "-p",
            help="Pack id, released version (id@version) or file instead of production.policies.",
        ),
    ] = None,
) -> None:
    """Declare a new use case: the packs' questions, asked only while they can change the
    decision, then the use case is appended to the manifest (comments and layout kept).

    Each answer updates the provisional outcome; "unsure" is a first-class answer (the
    guidance escalates it). Facts that were not asked take the spec's defaults. With
    --answers or --answer nothing is prompted: a question left unanswered is an error.

    Examples:

      clearance intake manifest.yaml --title "Harbor mood boards"

      clearance intake manifest.yaml -u UC-012 -t "Temp voice" -a tools=voice-ent \\
        -a technique=generate -a output.destination=temp -a talent.replica=none ...

      clearance intake manifest.yaml --answers answers.yaml   # for pipelines

    Exit codes: 0 written; 2 invalid input, an unanswered question in non-interactive mode,
    or a use case id already in the manifest (the file is left unchanged).
    """
    from rich.prompt import Prompt

    from clearance.manifest.loader import load_manifest
    from clearance.policy.intake import IntakeError, IntakeSession
    from clearance.policy.registry import builtin_ids, resolve

    interactive = answers_file is None and not answer
    with input_errors():
        manifest = load_manifest(
            manifest_path, known_policies=None if policies else builtin_ids("decision")
        )
        packs = [resolve(name) for name in (policies or manifest.production.policies)]
        session = IntakeSession(packs, manifest)
        given = _given(answers_file, answer or [])
    meta = {key: given.pop(key) for key in _META if key in given}
    use_case_id = use_case_id or _text(meta.get("id")) or None
    title = title or _text(meta.get("title")) or None
    description = description or _text(meta.get("description")) or None
    for key, value in given.items():
        try:
            session.answer(key, value)
        except IntakeError as exc:
            _fail(f"{answers_file or '--answer'}: {exc}")
    if use_case_id is None:
        suggested = _next_id(manifest)
        use_case_id = (
            Prompt.ask("Use case id", default=suggested, console=stdout)
            if interactive
            else suggested
        )
    _refuse_duplicate(manifest, use_case_id, manifest_path)
    if title is None:
        if not interactive:
            _fail("--title is required with --answers/--answer (or a title: in the answers file)")
        title = Prompt.ask("Title", console=stdout)
    while (question := session.next_question()) is not None:
        if not interactive:
            _fail(
                f"no answer for question {question.id} ({question.fact}): {question.text} "
                f"— give --answer {question.fact}=VALUE; allowed: "
                + ", ".join(a.value for a in session.choices(question))
            )
        session.answer(question.id, _ask(session, question))
        if interactive:
            _show_provisional(session)
    _write(session, manifest_path, use_case_id, title, description, policies)


def _given(answers_file: Path | None, pairs: list[str]) -> dict[str, Any]:
    from clearance.manifest.yamlsafe import load_document

    given: dict[str, Any] = {}
    if answers_file is not None:
        doc = load_document(answers_file)
        if not isinstance(doc.data, dict):
            raise ManifestError([InputError(doc.path, doc.line_of(()), "", "expected a mapping")])
        given.update(doc.data)
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ManifestError([InputError("--answer", None, pair, "expected fact=value")])
        given[key.strip()] = value.strip()
    return given


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _fail(message: str) -> NoReturn:
    stderr.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(EXIT_INPUT)


def _next_id(manifest: Manifest) -> str:
    numbers = [int(m.group(1)) for u in manifest.use_cases if (m := re.match(r"UC-(\d+)$", u.id))]
    return f"UC-{max(numbers, default=0) + 1:03d}"


def _refuse_duplicate(manifest: Manifest, use_case_id: str, path: Path) -> None:
    if any(u.id == use_case_id for u in manifest.use_cases):
        _fail(f"{path}: use case {use_case_id!r} already exists; choose another --use-case")


def _ask(session: IntakeSession, question: Question) -> Any:
    """Prompt for one answer: the question, help, examples and numbered answers."""
    from rich.prompt import Prompt

    choices = session.choices(question)
    if not choices:
        section = question.domain.registry or "the pack"
        _fail(f"{question.fact}: the manifest declares none under {section}:; add them first")
    stdout.print()
    stdout.print(f"[bold]{escape(question.text)}[/]")
    if question.help:
        stdout.print(f"[dim]{escape(question.help)}[/]", soft_wrap=True)
    for example in question.examples:
        stdout.print(f"[dim]  e.g. {escape(example)}[/]", soft_wrap=True)
    for number, choice in enumerate(choices, 1):
        stdout.print(f"  [cyan]{number}[/]. {escape(choice.label)}", highlight=False)
    hint = "numbers, comma-separated; empty for none" if question.multiple else "number"
    while True:
        raw = Prompt.ask(f"Answer ({hint})", console=stdout, default="", show_default=False)
        picked: list[str] = []
        for part in (p.strip() for p in raw.split(",") if p.strip()):
            if part.isdigit() and 1 <= int(part) <= len(choices):
                picked.append(choices[int(part) - 1].value)
            elif any(c.value == part for c in choices):
                picked.append(part)
            else:
                picked = []
                break
        if question.multiple and (picked or (not raw.strip() and not question.required)):
            return picked
        if not question.multiple and len(picked) == 1:
            return picked[0]
        stdout.print(f"[red]Pick {'one or more of ' if question.multiple else ''}1–{len(choices)}.")


def _show_provisional(session: IntakeSession) -> None:
    from clearance.reports.check import OUTCOME_STYLE, outcome_label

    state = session.decision_so_far()
    line = f"[{OUTCOME_STYLE[state.outcome]}]{outcome_label(state.outcome)}[/]"
    if state.settled:
        line = f"Decision settled: {line}"
    else:
        line = f"So far: {line}"
        if state.could_reach != state.outcome:
            line += f" (could still reach {outcome_label(state.could_reach)})"
    stdout.print(line + f" · owed: {', '.join(state.obligations) or 'nothing'}")


def _write(
    session: IntakeSession,
    path: Path,
    use_case_id: str,
    title: str,
    description: str | None,
    policies: list[str] | None,
) -> None:
    """Append the use case, validate the whole file with the loader, replace it atomically."""
    from clearance.manifest.loader import load_manifest
    from clearance.manifest.yamlsafe import read_text
    from clearance.policy.intake import IntakeError
    from clearance.policy.intake.writer import add_use_case
    from clearance.policy.registry import builtin_ids
    from clearance.reports.check import OUTCOME_STYLE, outcome_label

    try:
        use_case = session.use_case(use_case_id, title, description)
    except IntakeError as exc:
        _fail(str(exc))
    unasked = session.unasked()
    notes = []
    if unasked:
        notes.append("Not asked (they could not change the decision); the spec's defaults apply:")
        notes += [f"  {fact}: {_shown(value)}" for fact, value in unasked.items()]
    known = None if policies else builtin_ids("decision")
    with input_errors():
        text = read_text(path)
        current = load_manifest(path, known_policies=known)  # changed since we started?
        _refuse_duplicate(current, use_case_id, path)
        try:
            new_text = add_use_case(
                text, use_case, json_format=path.suffix.lower() == ".json", notes=notes
            )
        except ValueError as exc:
            raise ManifestError([InputError(str(path), None, "", str(exc))]) from exc
        fd, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent
        )
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(new_text)
            try:
                written = load_manifest(temp, known_policies=known)
            except ManifestError as exc:  # errors name the manifest, not the temporary file
                raise ManifestError(
                    [dataclasses.replace(e, file=str(path)) for e in exc.errors]
                ) from exc
            added = next((u for u in written.use_cases if u.id == use_case_id), None)
            if added is None or added != use_case:
                message = "the appended use case reads back differently; file left unchanged"
                raise ManifestError([InputError(str(path), None, use_case_id, message)])
            os.chmod(temp, path.stat().st_mode & 0o7777)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    decision = session.engine.decide(written, added)
    stdout.print()
    stdout.print(
        f"Wrote use case [bold]{escape(use_case_id)}[/] to {escape(str(path))}: "
        f"[{OUTCOME_STYLE[decision.outcome]}]{outcome_label(decision.outcome)}[/]",
        highlight=False,
    )
    stdout.print(f"Obligations: {', '.join(decision.obligations)}", highlight=False)
    for rule in decision.rules:
        stdout.print(f"  {rule.id} ({rule.outcome}): {escape(rule.title)}", highlight=False)


def _shown(value: Any) -> str:
    return "[]" if value == [] else str(value)
