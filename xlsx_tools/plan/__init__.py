"""Plan data: the work plans, the APA, ACTIP references and the ASB registry, as plain Python objects."""
