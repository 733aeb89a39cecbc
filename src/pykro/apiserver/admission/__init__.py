"""Admission: what the server does to an object between decoding and storage. `chain` orders the
steps; `defaults` and `builtin` default and validate built-in kinds; `structural` prunes and
defaults custom resources, `validation` checks their values, `celrules` their
`x-kubernetes-validations`."""
