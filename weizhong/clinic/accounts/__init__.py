"""Who may do what: clinics' staff and their roles (``access``), signed-in sessions and the
security headers (``sessions``), the second factor (``second_factor``), the administrators'
staff pages (``people``) and the user's own settings pages (``views``)."""
