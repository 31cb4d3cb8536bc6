"""The time-limit kernel: the working-day calendar (调休 included), the deadlines
that run on it, and the periods reports are counted in."""
