"""Text and data mining: the rights reservation in robots.txt, TDMRep headers and the well-known file."""
