"""`python cli.py …` from a checkout: the command line lives in coherence_rules/cli.py."""

from coherence_rules.client import main

main()
