// Storage selection: the options of every remote backend travel with the URL to open_storage
// (no process-wide defaults), built once from the command line by storage_options.
#pragma once
#include <memory>
#include <string>

#include "storage/azure_storage.h"
#include "storage/gcs_storage.h"
#include "storage/s3_storage.h"

namespace gan {

struct StorageOptions {
  S3Options s3;
  AzureOptions azure;
  GcsOptions gcs;
};

// The options ./gan's flags give: --s3-endpoint and --region (S3), --azure-endpoint; "" = unset.
StorageOptions storage_options(const std::string& s3_endpoint, const std::string& region,
                               const std::string& azure_endpoint);

// True for a URL a remote backend serves (s3://, az://, gs://, ...), not a folder or file://.
bool is_remote_url(const std::string& url);

// open_storage (storage.h) with these options for the remote backends.
std::unique_ptr<Storage> open_storage(const std::string& url, const StorageOptions& options);

}  // namespace gan
