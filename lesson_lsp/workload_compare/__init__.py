"""Run the user's workload before and after the edits and compare: time and output (`compare.py`).

Kept empty: `agent.py` runs inside the workload, in the project's interpreter, and imports this
package with only the standard library at hand.
"""
