"""The clinic's pages: views by area, their forms, and the figures they draw."""
