// No cluster label at all, for config_test.sh.
{ _config+:: { clusterLabel: '' } }
