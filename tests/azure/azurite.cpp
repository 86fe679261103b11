// Azure test fixtures; see azurite.h.
#include "tests/azure/azurite.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "azure/shared_key.h"
#include "cloud/http.h"
#include "tests/aws/fixture.h"

namespace gan_test {

std::string azure_fixture_path(const std::string& name) {
  std::string here = __FILE__;  // tests/azure/azurite.cpp, relative to the repository root
  return here.substr(0, here.rfind("tests/azure/")) + "tests/fixtures/azure/" + name;
}

namespace {

std::string post(const std::string& url, const std::string& method, const std::string& body) {
  cloud::HttpTransport t;
  cloud::HttpRequest r;
  r.method = method;
  r.url = url;
  r.body = body;
  cloud::HttpResponse resp = t.perform(r);
  if (resp.status != 200) throw std::runtime_error(url + " failed: " + resp.body);
  return resp.body;
}

}  // namespace

std::string AzuriteStack::proxy(const std::string& cmd, const std::string& json) const {
  return post("http://127.0.0.1:" + std::to_string(proxy_port) + "/__proxy/" + cmd, "POST", json);
}

std::string FaultProxy::proxy(const std::string& cmd, const std::string& json) const {
  return post(endpoint() + "/__proxy/" + cmd, "POST", json);
}

FaultProxy::~FaultProxy() = default;

std::unique_ptr<FaultProxy> start_faultproxy(int upstream_port, std::string* why) {
  auto p = std::make_unique<FaultProxy>();
  try {
    p->port = free_port();
    p->child = std::make_unique<Child>(std::vector<std::string>{"/usr/bin/python3", azure_fixture_path("faultproxy.py"),
                                                                std::to_string(p->port), std::to_string(upstream_port)},
                                       "ready", 20);
  } catch (const std::exception& e) {
    *why = std::string("could not start tests/fixtures/azure/faultproxy.py: ") + e.what();
    return nullptr;
  }
  return p;
}

namespace {

// Why Azurite cannot run here, or "" when node and the npm package are both present.
std::string azurite_missing() {
  if (std::system("command -v node >/dev/null 2>&1") != 0)
    return "node is not installed (apt-get install nodejs, or run azure/ci-deps)";
  if (access(azure_fixture_path("node_modules/azurite/package.json").c_str(), R_OK) != 0)
    return "Azurite is not installed in tests/fixtures/azure/node_modules (run azure/ci-deps)";
  return "";
}

// Azurite's blob service on 127.0.0.1:port, in memory; `env` (VAR=VALUE, may be empty) and `extra`
// arguments added. Throws when it does not come up.
std::unique_ptr<Child> start_azurite(int port, const std::vector<std::string>& env, const std::vector<std::string>& extra) {
  std::vector<std::string> argv;
  if (!env.empty()) argv.push_back("/usr/bin/env");
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back("node");
  argv.push_back(azure_fixture_path("node_modules/azurite/dist/src/blob/main.js"));
  for (const std::string& a : std::vector<std::string>{"--blobHost", "127.0.0.1", "--blobPort", std::to_string(port),
                                                       "--inMemoryPersistence", "--loose", "--skipApiVersionCheck",
                                                       "--disableProductStyleUrl"})
    argv.push_back(a);
  argv.insert(argv.end(), extra.begin(), extra.end());
  return std::make_unique<Child>(argv, "successfully listens", 60);
}

}  // namespace

const AzuriteOAuthStack* azurite_oauth_stack(std::string* why) {
  struct Holder {
    std::unique_ptr<TempDir> dir;
    std::unique_ptr<Child> azurite;
    AzuriteOAuthStack stack;
    std::string error;
    bool ok = false;
  };
  static Holder* h = [] {
    auto* holder = new Holder;
    holder->error = azurite_missing();
    if (!holder->error.empty()) return holder;
    holder->dir = std::make_unique<TempDir>();
    const std::string d = holder->dir->path();
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                            "-addext subjectAltName=IP:127.0.0.1 -keyout " + d + "/key.pem -out " + d +
                            "/cert.pem >" + d + "/openssl.log 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      holder->error = "openssl could not make a test certificate (apt-get install openssl): " + read_file(d + "/openssl.log");
      return holder;
    }
    holder->stack.ca_file = d + "/cert.pem";
    holder->stack.key = "Z2FuLXRlc3QtYWNjb3VudC1rZXktZm9yLWF6dXJpdGUtb2F1dGg=";
    try {
      holder->stack.port = free_port();
      holder->azurite = start_azurite(holder->stack.port, {"AZURITE_ACCOUNTS=" + holder->stack.account + ":" + holder->stack.key},
                                      {"--oauth", "basic", "--cert", d + "/cert.pem", "--key", d + "/key.pem"});
      holder->ok = true;
    } catch (const std::exception& e) {
      holder->error = std::string("could not start Azurite with --oauth basic: ") + e.what();
    }
    static Holder* cleanup = holder;
    std::atexit([] {
      cleanup->azurite.reset();
      cleanup->dir.reset();
    });
    return holder;
  }();
  if (!h->ok) {
    *why = h->error;
    return nullptr;
  }
  return &h->stack;
}

const AzuriteStack* azurite_stack(std::string* why) {
  struct Holder {
    std::unique_ptr<Child> azurite, proxy;
    AzuriteStack stack;
    std::string error;
    bool ok = false;
  };
  static Holder* h = [] {
    auto* holder = new Holder;
    holder->error = azurite_missing();
    if (!holder->error.empty()) return holder;
    try {
      holder->stack.azurite_port = free_port();
      holder->azurite = start_azurite(holder->stack.azurite_port, {}, {});
      holder->stack.proxy_port = free_port();
      holder->proxy = std::make_unique<Child>(
          std::vector<std::string>{"/usr/bin/python3", azure_fixture_path("faultproxy.py"),
                                   std::to_string(holder->stack.proxy_port), std::to_string(holder->stack.azurite_port)},
          "ready", 20);
      holder->ok = true;
    } catch (const std::exception& e) {
      holder->error = std::string("could not start Azurite: ") + e.what();
    }
    static Holder* cleanup = holder;  // stop the servers when the test binary exits
    std::atexit([] {
      cleanup->proxy.reset();
      cleanup->azurite.reset();
    });
    return holder;
  }();
  if (!h->ok) {
    *why = h->error;
    return nullptr;
  }
  return &h->stack;
}

azure::BlobClientConfig azurite_config(const std::string& endpoint) {
  azure::BlobClientConfig c;
  c.account = azure::kDevAccount;
  c.endpoint = endpoint;
  c.credential.kind = azure::AzureCredential::Kind::SharedKey;
  c.credential.key = azure::kDevKey;
  c.credential.source = "test (devstoreaccount1 key)";
  c.retry.base_delay_s = 0.01;
  c.retry.max_delay_s = 0.1;
  return c;
}

std::string FakeMetadata::call(const std::string& method, const std::string& path, const std::string& json) const {
  return post(url() + path, method, json);
}

const FakeMetadata* fake_metadata(std::string* why) {
  struct Holder {
    std::unique_ptr<Child> child;
    FakeMetadata fake;
    std::string error;
    bool ok = false;
  };
  static Holder* h = [] {
    auto* holder = new Holder;
    try {
      holder->fake.port = free_port();
      holder->child = std::make_unique<Child>(
          std::vector<std::string>{"/usr/bin/python3", azure_fixture_path("fake_metadata.py"), std::to_string(holder->fake.port)},
          "ready", 20);
      holder->ok = true;
    } catch (const std::exception& e) {
      holder->error = std::string("could not start the fake metadata server (needs /usr/bin/python3): ") + e.what();
    }
    static Holder* cleanup = holder;
    std::atexit([] { cleanup->child.reset(); });
    return holder;
  }();
  if (!h->ok) {
    *why = h->error;
    return nullptr;
  }
  return &h->fake;
}

std::string account_sas_string_to_sign(const AccountSas& s) {
  const std::string start = s.start ? azure::sas_time(s.start) : "";
  return s.account + "\n" + s.permissions + "\n" + s.services + "\n" + s.resource_types + "\n" + start + "\n" +
         azure::sas_time(s.expiry) + "\n" + /*sip*/ "\n" + s.protocol + "\n" + azure::kSasVersion + "\n";
}

std::string account_sas_query(const AccountSas& s, const std::string& key_base64) {
  cloud::KeyValues q = {{"sv", azure::kSasVersion}, {"ss", s.services}, {"srt", s.resource_types}, {"sp", s.permissions}};
  if (s.start) q.emplace_back("st", azure::sas_time(s.start));
  q.emplace_back("se", azure::sas_time(s.expiry));
  if (!s.protocol.empty()) q.emplace_back("spr", s.protocol);
  q.emplace_back("sig", azure::shared_key_signature(key_base64, account_sas_string_to_sign(s)));
  return azure::encode_query(q);
}

}  // namespace gan_test
