"""The built-in plugins.

Each module here is a plugin registered through the ``bansos_rules`` entry-point group, exactly
like a third-party package's: business types, referral agencies, expression functions, the native
engine, and the program's rulesets (eligibility, business-type fit, aid caps, referrals).
"""
