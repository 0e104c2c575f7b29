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

Mails are composed inside the moderation's transaction and sent only after it commits (a
rolled-back step mails nobody); a failing SMTP server is logged and never undoes or breaks the
moderation. ``flask mail digest`` (weekly, from cron) mails every area manager the proposals
waiting for them.
"""
