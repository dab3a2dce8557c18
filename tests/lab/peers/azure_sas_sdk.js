// Microsoft's Data Lake SDK for JavaScript (@azure/storage-file-datalake, installed by
// installer/install-azurite.sh) as the reference for service SAS tokens, directory SAS included
// (Azurite has no hierarchical namespace, so it cannot check those).
// Usage: node azure_sas_sdk.js '<JSON array of cases>'; prints a JSON array of query strings.
// A case: {account, key, container, path, directory (bool), permissions, expiry, start (ISO, optional),
//          ip (optional), https (bool), version}
const dl = require('@azure/storage-file-datalake');

const out = JSON.parse(process.argv[2]).map((c) => {
  const key = new dl.StorageSharedKeyCredential(c.account, c.key);
  const values = {
    fileSystemName: c.container,
    permissions: c.directory ? dl.DirectorySASPermissions.parse(c.permissions)
                 : c.path ? dl.DataLakeSASPermissions.parse(c.permissions)
                 : dl.FileSystemSASPermissions.parse(c.permissions),
    expiresOn: new Date(c.expiry),
    version: c.version,
  };
  if (c.path) values.pathName = c.path;
  if (c.directory) values.isDirectory = true;
  if (c.start) values.startsOn = new Date(c.start);
  if (c.ip) {
    const [start, end] = c.ip.split('-');
    values.ipRange = end ? { start, end } : { start };
  }
  if (c.https) values.protocol = dl.SASProtocol.Https;
  return dl.generateDataLakeSASQueryParameters(values, key).toString();
});
console.log(JSON.stringify(out));
