"""Pure analysis of live broker snapshots: typed snapshot models, finding rules, drift against a plan, and the
translation of a snapshot into diagnose_issue evidence. No I/O: the readers in ``event_driven.live`` fill the models."""
