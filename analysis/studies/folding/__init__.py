"""Space folding: exact images of regions, the folding measure chi, and the ring."""
