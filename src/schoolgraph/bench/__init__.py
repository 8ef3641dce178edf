"""``schoolgraph bench``: upstream requests, latency and throughput against the physical limit.

:func:`~schoolgraph.bench.runner.run_bench` runs it; :func:`~schoolgraph.bench.report.render`
prints it. See the README's Benchmarks section.
"""
