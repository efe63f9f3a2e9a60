"""Per-title ladders: analyse a title with trial encodes and measured quality, then choose rungs that
reach the same quality as the fixed ladder for fewer bits (capped CRF per rung).

* ``analysis``: ``analyse_title``, the whole analysis (cache, budget, sample, trials, choice).
* ``models``: ``TrialPoint``, ``ChosenRung``, ``PerTitlePlan``, ``PerTitleTargets``.
* ``planned``: ``to_planned_rungs``, a plan as the rungs the command builder reads.
* ``sampling``: how long the sample is, in how many excerpts, from where (pure).
* ``sample``: the difficulty probe and the sample file (FFmpeg).
* ``budget``: how many trials the analysis can afford within its share of the encode's CPU (pure).
* ``trials``: trial encodes of the sample and their measured quality (FFmpeg, libvmaf).
* ``curves``: one size's trials as CRF -> bitrate and CRF -> quality curves (pure).
* ``hull``: the hull, the best size per bitrate, the rungs chosen, their rate control (pure).
* ``bdrate``: Bjøntegaard delta rate and quality with PCHIP interpolation (pure).
* ``cache``: plans stored per source and settings.
* ``runs``: the analysis's child processes: cancellable, bounded, CPU time measured.
"""
