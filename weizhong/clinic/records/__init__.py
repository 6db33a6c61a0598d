"""The clinical record's reads and rules: the clinic's use of the core (``services``: assess,
propose plans, draft notes, re-evaluation, adherence, billing facts), shared queries
(``queries``) and the input rules the pages, the API and the actions share (``rules``). The
writes are ``weizhong.clinic.actions``."""
