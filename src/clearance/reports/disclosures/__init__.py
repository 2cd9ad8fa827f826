"""The disclosure plan (``clearance disclosures``): per deliverable and market, which GenAI
events or assets must carry an audience disclosure (``disclose-ai``) or a machine-readable
label (``ai-label``), in the form the pack rule that asks gives, with the cue sheet's
timecodes — and whether the delivered files carry the labels.

Nothing here decides: each market's obligations come from the decision engine over the
production's packs (``plan``), events from the one cue-sheet pipeline
(``editorial.compose``), a file's verdict from the ai-provenance pack and its findings from
the deliverables pack. ``model`` is the public ``clearance.disclosures/1`` shape; ``compose``
builds it from a register; ``writers`` render it.
"""
