"""Xporter on Demand (Groupcall) School Data API simulator, from `shared/upstreams/xporter.md`.

`create_xporter_app(holder)` serves the world's Xporter schools (`School.system == "xporter"`,
`School.code` is the estab) as the contract describes them. Section numbers (§) are the
digest's.

Routes
------
* `POST /idaas/sts/STS/GetToken`: the STS (EXT path of `login.groupcall.com`, §1.2).
* `GET /api/v1/School/{estab}/{Endpoint}` and `.../{Endpoint}/{id}` (EXT template, §3;
  endpoint names are ours per the §3 SIM-PROPOSAL): Students, Staff, Groups, Contacts,
  StudentContacts, Timetable, TimetableForStudent, TimetableForStaff, AttendanceCodes,
  AttendanceForDate, AttendanceForDateRange, SchoolInfo, Health.
* `GET /api/v1/TokenDetails`, `GET /api/v1/Scopes` (EXT, §1.4).
* `GET /api/XporterOnDemand/GetXodSchools` (the doc's one absolute URL, §1.4).
* Simulator only (never part of the contract), besides the shared `/__sim/` control plane:
  `GET /__sim/xporter/authorisations` lists every (relying party, school) grant;
  `POST /__sim/xporter/authorisations` with `{relyingParty, estab, schoolSecret?, scopes?,
  paused?, revoked?, managementSecret?}` creates or changes one (e.g. a narrower app for
  consent tests); `POST /__sim/xporter/pause` with `{estab, relyingParty?, paused?}` pauses
  (default) or resumes a school's authorisation. `/__sim/reset` restores the factory's grants.

Readings of points the contract leaves open (or where it conflicts), and why
-----------------------------------------------------------------------------
Authentication (§1)
* `thirdpartyid`: the doc says it is "Always XporterOnDemand"; that value and the world's
  `credentials.xporter_third_party_id` are both accepted. STS body keys match
  case-insensitively (§1.2 SIM-PROPOSAL); a form-encoded body is accepted too.
* Failed and paused STS answers are HTTP 200 (status doc-silent) with the documented bodies
  verbatim. A wrong secret, unknown relying party or estab, wrong `thirdpartyid` or revoked
  grant all get the one documented failure message. A body that is not JSON gets the same
  shape with its own message.
* Tokens are opaque base64 strings valid 5 days (EXT sample, §1.2) unless the
  `token_lifetime_seconds` fault says otherwise; `expires` is UTC with 7 fraction digits and
  `Z`, like the EXT capture. Expiry follows the control plane's clock.
* `Authorization: Idaas <token>` (scheme matched case-insensitively). Missing, malformed,
  unknown and expired tokens are "401"; a token for another school, a management token on
  school data, a missing endpoint scope and a paused grant are "403" (statuses and messages
  are doc-silent; see Errors). Pausing also stops tokens issued before the pause.
* A management token (empty estab + `managementSecret`, §1.1) reads Health (the `estab` query
  parameter picks the school, §2.4), TokenDetails, Scopes and GetXodSchools, and nothing else.
  GetXodSchools refuses school tokens.

Errors (§2.5)
* Every error is `{"Message": "An error has occurred.", "ExceptionType": <.NET-style name,
  ours>, "ExceptionMessage": <sentence>, "InnerException": null}` with HTTP 200, unless the
  request has `httpstatuscodes=true`: then 400 (bad parameter), 401, 403 or 404 (unknown
  endpoint). Injected faults (`error_rate`) and the `rate_limit_per_minute` fault keep their
  real status (429 with `Retry-After`): they stand for infrastructure failures. The contract
  documents no rate limit, so there is none unless the fault sets one.

Parameters and envelope (§2.1, §2.2)
* Query names match case-insensitively; switches are accepted as their own boolean
  parameters or listed in `options=` CSV (both SIM-PROPOSALs). `id` works as a path segment
  or `?id=`. Booleans are true/false/1/0/yes/no (empty means true); anything else is a 400.
* Every data table of an endpoint is always present, in the doc sample's order, empty when its
  switch is off (EXT shows `"StudentSiblings":[]`). `meta` is one row
  `{Id, MIS, Version, DateTime}` on every response (SIM-PROPOSAL "always emit meta");
  `DateTime` is the later of 02:00 school time on the world's today (the nightly cache) and the
  newest `LastUpdated` in the result. `__pagination__` is on every endpoint except SchoolInfo
  and Health (single-row).
* Paging: `pageSize` defaults to, and is capped at, 100011 (§2.1). Every data table is paged
  with the same window (each table is its own result set); `PageCount` is the largest
  table's, at least 1; `RowCount` counts the first table; `NextPage` is present even on the
  last page (EXT); a page past the end has empty tables.
* `select` applies to the first (primary) table only; names match case-insensitively,
  `Column as Alias` renames, `*` means all visible columns, and a column that is unknown or
  not visible to the caller is a 400 "Invalid column name". Change sets and `RowHash` work
  on the full rows.
* `updatedSince=yyyy-MM-dd` keeps rows whose `LastUpdated` is after that day's midnight,
  school time, in every table that has `LastUpdated`; other endpoints ignore it.
* `onlyGetDBStatus` and `callbackUrl` are accepted and ignored: data is always ready (§2.4
  SIM-PROPOSAL default; no "cold" mode). Health always says `ok` with age 0.
* Values: ids and codes are JSON strings, flags 0/1, dates `yyyy-MM-dd`, timestamps
  school-local without an offset and with at most 3 trimmed fraction digits (EXT).

RowHash and change sets (§2.3, §6.4)
* `RowHash` is SHA-1 (upper-case hex) of the row's canonical JSON (sorted keys, compact),
  over the row as the caller sees it (after consent scopes and switches, before `select`),
  without `RowHash` and with `LastUpdated`. It moves exactly when the visible row moves and
  does not leak changes to columns outside the caller's scopes.
* Change sets follow the SIM-PROPOSAL; see `changesets.py`. Tokens are 32 hex digits derived
  from the partition (relying party, estab, endpoint, id, filters, switches) and
  `world.revision`. `<Table>_deleted` (rows `{"Id": ...}`) appears on token requests only
  and lists the `Id` of each row that was in the snapshot and is gone now: deleted records
  (tombstoned in the world) and rows that left the filter, e.g. the memberships of a deleted
  student. That is the row's own `Id` column (§2.2, §2.7): the lesson `Id` of a gone
  `Lessons` occurrence, not its `PeriodId` (§4.7.1), and null for a table without an `Id`
  column (`AttendCodes`, keyed by `Mark`, §4.8.1).
  `__changedRows__` is `{SnapshotDate, SnapshotRP, PreviousChangedRows, RequestedChangedRows,
  NextChangedRows, NextUrl}` as in the EXT capture; `PreviousChangedRows` is the value the
  requested snapshot was itself taken in answer to. `SnapshotDate`, STS tokens and `expires`
  are the only bytes that depend on the clock; everything else is a function of the world.
* A changedRows token from another partition, or one never issued (or evicted after 256
  newer snapshots), is a 400 telling the client to restart with `*` (doc-silent).

Consent scopes (§2.6)
* Columns carry the doc's Consent Scope cell (`A / B` = either) and are left out of the row
  when not granted; endpoints need their EXT endpoint scopes (§3). "Group" and "Timetable"
  are not scope names in the contract: groups and timetables need School (§4.6, §4.7).
  The demo relying party's grant is `auth.DEMO_SCOPES`. `ParentIdaasIds` (param only) needs
  Contact; that scope is our reading.

World mapping (§4)
* IdaasIds: students `PL-`, staff `PWT-`, contacts `PC-`, year groups `GY-`, other groups
  `GC-` (§2.7 examples). Group kinds year/registration/class/house are YearGrp/RegGrp/
  TeachingGrp/HouseGrp with our TypeIds 1-4; RegGrp's parent type is YearGrp, which also
  gives the SubGroups rows. Groups have no external id in the world, so a GUID is derived
  from seed and id. StudentMembers/StaffMembers carry MIS ids (§4.6 SIM-PROPOSAL); a
  membership's `LastUpdated` is its member's (the world keeps none for memberships).
* Students: on roll by default; `includeLeavers` and `studentStatus` add or pick leavers.
  `includeComms` adds the home/mobile columns (StudentExtended). `includeAttStats` and
  `includeAttMarkString` come from the world's session marks since the first term began;
  `Marks` has two characters per calendar day, `##` for weekends and holidays. The
  StudentSiblings table (fields doc-silent) is `{Id, StudentId, SiblingId}`. The world has no
  photos, pre-admissions, guests, subsidiary enrolments or XIDs, so those switches add
  nothing.
* Staff: Current by default; `staffStatus`, `includeFuture`, `includePrevious`,
  `teachersOnly`. `RegGroup` lists the registration groups the member is attached to.
  StaffSWAC is derived from the role; the world holds no hierarchy, vehicles or next of kin,
  so those tables are empty.
* Contacts: only contacts of on-roll students (§4.4). StudentContacts `id` matches a student
  or a contact (the world's id ranges never overlap); `includeExternalIds` adds
  `StudentExternalId`/`ContactExternalId` (names doc-silent).
* Timetable: empty unless an `include*` switch is set (doc). `DateFrom`/`DateTo` default to a
  week before and two weeks after the world's today. `Lessons.Id` is the weekly timetable
  entry (the lesson in the cycle); `PeriodId` is the occurrence id `"{entry}.{date}"`, the
  value attendance `InstanceId` uses; `JoinedId` is the same class's entry in the next
  period that day. Room ids are derived from room codes.
* TimetableForStudent/TimetableForStaff: table `Timetable` (§4.7.3 SIM-PROPOSAL), `Id`
  mandatory (400 without it); `DateFrom`/`DateTo` or the prose's `From`/`To`;
  `bypassDateFilter` gives the academic year; `includeTTStructure` adds
  Timetables/TimetableDays/TimetablePeriods. `Id` and `PeriodId` are both the occurrence id.
  An unknown person gets an empty table.
* Attendance: codes from `world.attendance_codes` (`{id}` filters by mark). AttendanceForDate
  defaults to the world's today and returns session marks (`InstanceId` null) and lesson
  marks (`Type` L): each lesson of a class the student is in takes the mark of its session
  (PM from 12:00), with `InstanceId` = the lesson's `PeriodId` and `Id`
  `"{student}.{date}.{entry}"`. `MinsLate` is set for L and U marks only. AttendanceForDate-
  Range needs `DateFrom` and `DateTo` (a single `date` is accepted as both) and returns
  session marks. The `DateRange` table (fields doc-silent) is `{DateFrom, DateTo}`.
  `includeExternalId` adds `StudentExternalId` (name doc-silent).
* SchoolInfo adds the EXT `CurrentAcademicYear`, `LastUpdated` and `RowHash`; `includeSites`
  lists campuses (UK schools have none).
* GetXodSchools: the body has only the doc's three keys. Paused grants are "pending
  authorisation" (listed with `includePendingAuthorisation=true`); revoked grants are listed
  under `Revoked`; dates are derived from the world's today.
* TokenDetails `Name` is the school's name (the relying party for a management token) and
  `Scopes` the granted scope names (none for a management token); Scopes describes those.
"""

from __future__ import annotations

from .app import XPORTER_STATE, XporterState, create_xporter_app
from .auth import DEMO_SCOPES, SCOPE_CATALOGUE, THIRD_PARTY_ID, Authorisation

__all__ = [
    "DEMO_SCOPES",
    "SCOPE_CATALOGUE",
    "THIRD_PARTY_ID",
    "XPORTER_STATE",
    "Authorisation",
    "XporterState",
    "create_xporter_app",
]
