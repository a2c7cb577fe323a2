def test_probe(request):
    print("NODEID", request.node.nodeid, [m.name for m in request.node.iter_markers()])
    assert 0
