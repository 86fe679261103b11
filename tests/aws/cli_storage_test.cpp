// The command line's storage flags: -c azure_storage's account, and what --presign accepts.
#include <gtest/gtest.h>

#include "cli.h"
#include "storage/azure_storage.h"
#include "tests/aws/fixture.h"

using gan_test::ScopedEnv;

TEST(CliStorage, AzureStorageTakesTheAccountFromTheEnvironmentOrTheConnectionString) {
  // The CLI records the choice; the storage layer names the account (it reads connection strings
  // the way the Azure credential chain does).
  EXPECT_TRUE(gan::parse_cli({"--train", "-c", "azure_storage"}).azure_reference);
  EXPECT_FALSE(gan::parse_cli({"--train", "-c", "azure_storage", "--storage", "eval"}).azure_reference);
  EXPECT_FALSE(gan::parse_cli({"--train", "-c", "azure_storage", "-c", "aws_s3"}).azure_reference);
  {
    ScopedEnv env({{"AZURE_STORAGE_ACCOUNT", "fromaccount"},
                   {"AZURE_STORAGE_CONNECTION_STRING", "DefaultEndpointsProtocol=https;AccountName=fromstring;AccountKey=a2V5"}});
    EXPECT_EQ(gan::reference_azure_storage_url(), "az://fromaccount/gan-training-storage");
  }
  {
    // No AZURE_STORAGE_ACCOUNT: the connection string's AccountName.
    ScopedEnv env({{"AZURE_STORAGE_ACCOUNT", nullptr},
                   {"AZURE_STORAGE_CONNECTION_STRING",
                    "DefaultEndpointsProtocol=http; AccountName=devstoreaccount1;AccountKey=a2V5;"
                    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;"}});
    EXPECT_EQ(gan::reference_azure_storage_url(), "az://devstoreaccount1/gan-training-storage");
  }
  {
    // Azurite's shorthand names no account: it is the emulator's.
    ScopedEnv env({{"AZURE_STORAGE_ACCOUNT", nullptr}, {"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"}});
    EXPECT_EQ(gan::reference_azure_storage_url(), "az://devstoreaccount1/gan-training-storage");
  }
  {
    ScopedEnv env({{"AZURE_STORAGE_ACCOUNT", nullptr}, {"AZURE_STORAGE_CONNECTION_STRING", "SharedAccessSignature=sv=2022"}});
    try {
      gan::reference_azure_storage_url();
      FAIL() << "no account anywhere must be an error";
    } catch (const std::invalid_argument& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.rfind("-c azure_storage: ", 0), 0u) << m;
      EXPECT_NE(m.find("AZURE_STORAGE_ACCOUNT"), std::string::npos) << m;
      EXPECT_NE(m.find("AZURE_STORAGE_CONNECTION_STRING with AccountName="), std::string::npos) << m;
      EXPECT_NE(m.find("--storage az://"), std::string::npos) << m;
    }
  }
}

TEST(CliStorage, PresignHelpNamesEveryScheme) {
  const std::string help = gan::cli_help();
  for (const char* scheme : {"s3://bucket/key", "gs://bucket/key", "az://account/container/key"}) {
    // Once in the usage line, once in the flag's description.
    size_t first = help.find(scheme);
    ASSERT_NE(first, std::string::npos) << scheme << " is missing from ./gan --help";
    EXPECT_NE(help.find(scheme, first + 1), std::string::npos) << scheme << " appears only once in ./gan --help";
  }
  EXPECT_EQ(gan::parse_cli({"--presign", "az://acct/cont/run/x.png"}).presign_url, "az://acct/cont/run/x.png");
}
