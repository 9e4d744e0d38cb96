"""Text and data mining: the rights reservation published in robots.txt, TDMRep headers and the well-known file."""
