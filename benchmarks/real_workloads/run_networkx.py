"""Graph analytics on seeded random graphs with networkx, as a network-science script does."""
import hashlib
import sys
import time

import networkx as nx

count = int(sys.argv[1]) if len(sys.argv) > 1 else 4
started = time.perf_counter()
digest = hashlib.sha256()


def note(*values):
    digest.update(repr(values).encode())


for seed in range(count):
    graph = nx.gnm_random_graph(600, 2400, seed=seed)
    for u, v in graph.edges:
        graph.edges[u, v]["weight"] = (u * 7 + v * 13 + seed) % 17 + 1
    note(sorted(len(c) for c in nx.connected_components(graph)))
    note(sorted(nx.core_number(graph).items())[:50])
    note(round(nx.average_clustering(graph), 9))
    note(sorted(nx.single_source_dijkstra_path_length(graph, 0).items())[:100])
    note(sum(nx.single_source_shortest_path_length(graph, n)[0] for n in range(0, 600, 30)))
    central = nx.betweenness_centrality(graph, k=40, seed=seed, weight="weight")
    note(sorted(round(v, 9) for v in central.values())[-10:])
    tree = nx.minimum_spanning_tree(graph)
    note(tree.size(weight="weight"))
    note(max(nx.greedy_color(graph, strategy="largest_first").values()))
    giant = graph.subgraph(max(nx.connected_components(graph), key=len))
    note(sorted(nx.eccentricity(giant, v=list(giant)[:10]).values()))
    directed = nx.gnp_random_graph(300, 0.02, seed=seed, directed=True)
    note(len(list(nx.strongly_connected_components(directed))))
    dag = nx.condensation(directed)
    note(nx.is_directed_acyclic_graph(dag), nx.dag_longest_path_length(dag))
print("graphs", count)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
