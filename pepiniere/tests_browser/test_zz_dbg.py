import pytest
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    impls = config.pluginmanager.hook.pytest_collection_modifyitems.get_hookimpls()
    print("IMPLS", [(i.plugin_name[-40:], i.tryfirst, i.trylast, i.wrapper, i.hookwrapper) for i in impls], flush=True)
