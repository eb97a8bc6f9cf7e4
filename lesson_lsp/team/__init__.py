"""The lesson team: agents, their rounds and the lessons they bank."""
