"""The figure style (:mod:`.style`) and the drawing primitives every study uses: panel frames
and colours (:mod:`.panels`), partitions (:mod:`.regions`) and predictions (:mod:`.surfaces`).
"""
