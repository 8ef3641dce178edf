"""One person, several systems: match school staff (Xporter, TASS) to Tanda users.

The rule, in order, and never a guess:

1. **Explicit key.** A Tanda user's `employee_id` equal to a school staff member's key: by
   default the MIS staff code or the payroll number (`MatchPolicy.keys`). Staff codes are
   unique only within a school, so one `employee_id` can name staff in two schools; then the
   key matches no one, and the candidates are listed unless the email rule settles it.
2. **Email**, compared case-insensitively after trimming, for people the keys left unmatched,
   an ambiguous key's user and its candidates included (a user whose email is one candidate's
   is merged with that one, by `email`, and the other candidates stay split, listing none);
   again only a unique candidate on both sides counts.
3. Otherwise the person stays split: school staff without a Tanda user, and Tanda users
   without school records (agency workers, office staff) are still people in the graph.

Names are never used to merge: two staff called the same are common (the world has such a
pair). Every merged person records which rule matched and on what value (`Provenance`), and
every ambiguous one records its candidates, so the graph can explain itself.

The module speaks only the unified model's terms (`StaffRecord`, `WorkerRecord`); adapters
per upstream build those records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Literal

KeyName = Literal["staff_code", "payroll_number"]
Rule = Literal["employee_id=staff_code", "employee_id=payroll_number", "email"]


@dataclass(frozen=True, slots=True)
class StaffRecord:
    """A member of staff as a school MIS (Xporter or TASS) knows them."""

    system: str  # "xporter" | "tass"
    school: str  # estab or company code
    id: str  # the MIS id, unique within (system, school)
    staff_code: str | None
    payroll_number: str | None
    email: str | None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.system, self.school, self.id)

    def value_of(self, name: KeyName) -> str | None:
        return self.staff_code if name == "staff_code" else self.payroll_number


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A Tanda user."""

    id: str
    employee_id: str | None
    email: str | None


@dataclass(frozen=True, slots=True)
class Provenance:
    """How a school record and a Tanda user were found to be one person."""

    rule: Rule
    value: str  # the shared key or the normalised email


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """Which explicit keys count, in order, and whether email may confirm a match."""

    keys: tuple[KeyName, ...] = ("staff_code", "payroll_number")
    use_email: bool = True


@dataclass(slots=True)
class Person:
    """One person: a school record, a Tanda user, or both, with how they were joined."""

    staff: StaffRecord | None = None
    worker: WorkerRecord | None = None
    provenance: Provenance | None = None
    # For people left split because a key or email pointed at more than one candidate.
    staff_candidates: list[StaffRecord] = field(default_factory=list)
    worker_candidates: list[WorkerRecord] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return bool(self.staff_candidates or self.worker_candidates)


def normalise_email(email: str | None) -> str | None:
    if email is None:
        return None
    cleaned = email.strip().lower()
    return cleaned or None


@dataclass(frozen=True, slots=True)
class Matching:
    """The result of matching: every person once, and lookups from either side."""

    people: tuple[Person, ...]
    by_staff: dict[tuple[str, str, str], Person]
    by_worker: dict[str, Person]


@dataclass(frozen=True, slots=True)
class StaffIndex:
    """School staff made ready to match under one policy: each record under its key, in key
    order, and each rule's value by key, in the order the rules apply.

    The school lists arrive long before Tanda's last page of users (one request against a
    chain of pages), so a gateway builds this while the users are still coming, and the match
    itself is left with the Tanda side only.
    """

    keyed: tuple[tuple[tuple[str, str, str], StaffRecord], ...]
    rules: tuple[tuple[Rule, Mapping[tuple[str, str, str], str]], ...]
    policy: MatchPolicy


def index_staff(staff: Iterable[StaffRecord], policy: MatchPolicy | None = None) -> StaffIndex:
    """`StaffIndex` of ``staff`` under ``policy`` (the default one when None)."""
    policy = policy or MatchPolicy()
    # Each record's key once (a property builds a tuple per read), in key order.
    keyed = tuple(sorted(((s.key, s) for s in staff), key=itemgetter(0)))
    rules: list[tuple[Rule, Mapping[tuple[str, str, str], str]]] = [
        (
            "employee_id=staff_code" if name == "staff_code" else "employee_id=payroll_number",
            {k: v for k, s in keyed if (v := _clean(s.value_of(name))) is not None},
        )
        for name in policy.keys
    ]
    if policy.use_email:
        rules.append(
            ("email", {k: e for k, s in keyed if (e := normalise_email(s.email)) is not None})
        )
    return StaffIndex(keyed, tuple(rules), policy)


def match_people(
    staff: Iterable[StaffRecord] | StaffIndex,
    workers: Iterable[WorkerRecord],
    policy: MatchPolicy | None = None,
) -> Matching:
    """Join school staff to Tanda users by the rule in the module docstring.

    Args:
        staff: school staff from every school system, or their `StaffIndex`.
        workers: Tanda users.
        policy: which keys count; staff code then payroll number, then email, by default.
            An index carries its own: a different one given with it is a `ValueError`.

    Returns:
        Every school record and every Tanda user exactly once, merged where the rule allows.
    """
    if isinstance(staff, StaffIndex):
        if policy is not None and policy != staff.policy:
            raise ValueError("The staff index was built under another match policy.")
        index = staff
    else:
        index = index_staff(staff, policy)
    staff_keyed = index.keyed
    worker_list = sorted(workers, key=lambda w: w.id)
    paired: dict[tuple[str, str, str], tuple[WorkerRecord, Provenance]] = {}
    paired_workers: set[str] = set()
    staff_ambiguity: dict[tuple[str, str, str], list[WorkerRecord]] = defaultdict(list)
    worker_ambiguity: dict[str, list[StaffRecord]] = defaultdict(list)

    def settle(
        rule: Rule,
        staff_value: Mapping[tuple[str, str, str], str],
        worker_value: dict[str, str],
    ) -> None:
        """Pair records whose value is unique on both sides; note ambiguity otherwise."""
        staff_by_value: dict[str, list[StaffRecord]] = defaultdict(list)
        for key, record in staff_keyed:
            value = staff_value.get(key)
            if value is not None and key not in paired:
                staff_by_value[value].append(record)
        workers_by_value: dict[str, list[WorkerRecord]] = defaultdict(list)
        for worker in worker_list:
            value = worker_value.get(worker.id)
            if value is not None and worker.id not in paired_workers:
                workers_by_value[value].append(worker)
        for value, candidates in workers_by_value.items():
            matches = staff_by_value.get(value, [])
            if len(candidates) == 1 and len(matches) == 1:
                paired[matches[0].key] = (candidates[0], Provenance(rule, value))
                paired_workers.add(candidates[0].id)
            elif matches:
                for worker in candidates:
                    worker_ambiguity[worker.id].extend(matches)
                for record in matches:
                    staff_ambiguity[record.key].extend(candidates)

    employee_ids: dict[str, str] | None = None
    for rule, staff_value in index.rules:
        if rule == "email":
            emails = {w.id: e for w in worker_list if (e := normalise_email(w.email)) is not None}
            settle(rule, staff_value, emails)
            continue
        if employee_ids is None:  # both key rules read the Tanda side's employee id
            employee_ids = {
                w.id: v for w in worker_list if (v := _clean(w.employee_id)) is not None
            }
        settle(rule, staff_value, employee_ids)

    people: list[Person] = []
    by_staff: dict[tuple[str, str, str], Person] = {}
    by_worker: dict[str, Person] = {}
    for key, record in staff_keyed:
        pair = paired.get(key)
        person = Person(staff=record)
        if pair is not None:
            person.worker, person.provenance = pair
            by_worker[pair[0].id] = person
        else:
            person.worker_candidates = _unique_workers(
                [w for w in staff_ambiguity.get(key, []) if w.id not in paired_workers]
            )
        people.append(person)
        by_staff[key] = person
    for worker in worker_list:
        if worker.id in paired_workers:
            continue
        candidates = [s for s in worker_ambiguity.get(worker.id, []) if s.key not in paired]
        person = Person(worker=worker, staff_candidates=_unique_staff(candidates))
        people.append(person)
        by_worker[worker.id] = person
    return Matching(tuple(people), by_staff, by_worker)


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip()
    return cleaned or None


def _unique_workers(records: Sequence[WorkerRecord]) -> list[WorkerRecord]:
    return list({r.id: r for r in records}.values())


def _unique_staff(records: Sequence[StaffRecord]) -> list[StaffRecord]:
    return list({r.key: r for r in records}.values())
