"""E-mail: residents hear about their proposal, area managers get a weekly digest.

Sending goes through SMTP (``SMTP_URL``, e.g. ``smtp://user:pass@host:587?starttls=1`` or
``smtps://…:465``, from ``MAIL_FROM``). Without them e-mail is off: one log line at start-up
and a note on the moderators' pages ("e-mail is off: residents are not notified"), never an
error.

Residents who left an e-mail address get a message when a moderator approves, rejects or
merges their proposal or asks them a question, in the language of their proposal form (Dutch
with English below when it is not known). The message carries their private tracking link:
the link's token is derived from the form's one-time key and only its hash is stored, so at
submission, and only when an address is given, the token is kept encrypted and authenticated
(Fernet, a key derived from SECRET_KEY; ``proposals.tracking.seal_token``). A database dump
alone thus reveals no working link; erasing the personal data removes the sealed link with
the address, so no mail goes out after erasure. When the sealed link cannot be opened (the
secret key changed) the mail points to the receipt instead of guessing.

Mails are written to an outbox table (``mail_outbox``) inside the step's transaction, so a
rolled-back step mails nobody and a committed one always gets its mail; right after the commit
the request tries to send them (a short timeout, never an error). What the SMTP server did not
take waits, tried again after 1, 5, 15, 60, then every 240 minutes by ``flask mail send``
(cron, or ``script/server``'s loop; any number of machines at once), and is marked failed,
logged and counted after ``MAIL_MAX_ATTEMPTS``. A sent mail's address and text are cleared at
once; erasing a resident's personal data deletes their unsent mails. ``flask mail digest``
(weekly, from cron) mails every area manager the proposals waiting for them, through the same
outbox.
"""
