"""What each page and command asks of a snapshot, as parameterized queries over the marts, one
module per kind of figure: `headline` (the summary of docs/CONTRACT.md and the pages' cards),
`activity` (green actions, energy and carbon avoided), `people` (distinct users, exact or from
the sketches, and their series), `program` (projects, protected areas, plantings, surveys and
adoptions), `naming` (codes by name), `intake` (loads, rejected rows, partners' freshness),
`alerting` (what the alert checks read). `base` holds what they share: the snapshot's own
facts, a period cut into the marts' grains, and one computation per reader.

Every function takes a `Reader` and `Filters` and returns frames or numbers; none computes a
metric itself (that is `greenstats.metrics.stats`).
"""
