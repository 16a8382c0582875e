"""Every write to petitions and signatures, by sub-domain: petitions (create, edit, moderate,
close, deliver), signing, counting, abuse, updates (emails to signers and organisers),
retention. Import from the module that owns the service; nothing is re-exported here."""
