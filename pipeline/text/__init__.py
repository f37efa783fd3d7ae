"""Text helpers every part of the pipeline shares: Simplified conversion, sentences, dates, the Han class.

One implementation of each, so that the recogniser, the relation patterns, the aligner and the
scorer agree on what a sentence, a date or a Simplified spelling is.
"""
