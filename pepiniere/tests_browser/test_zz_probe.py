def test_probe(request):
    assert 0
