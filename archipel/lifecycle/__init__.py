"""The lifecycle of archives once archived: holds (gel) and elimination (élimination).

`holds` says which units are frozen and refuses any change of them in one place;
`elimination_analysis` judges which units of a selection may be destroyed at a date,
`elimination_request` turns an analysis into the request the supervising archives approve
(or refuse), `elimination_action` destroys what was approved and `elimination_certificate`
attests it. See docs/elimination.md.
"""
