"""``make stats``: the author's view of the counter table (views per day, unique visitors,
top pages), read with ``Scan`` only. Not part of the Lambda: it imports the counter's names,
never the other way round.

``history`` turns items into a report (pure), ``table`` reads the items, ``render`` prints
text, JSON, CSV or a self-contained HTML file, ``cli`` resolves the table like publish does
and turns every failure into one line.
"""
