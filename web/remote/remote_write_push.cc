// remote_write_push: a tiny remote write 1.0 client for tests.
//
// Reads samples, one per line, from a file (or stdin with "-"):
//   <series selector> <value> <timestamp ms>
//   rw_test_metric{job="push",instance="a"} 42 1700000000000
// Blank lines and lines starting with '#' are skipped. Samples of the same
// series are grouped into one TimeSeries (in input order), the WriteRequest
// is snappy-compressed and POSTed to the URL. Prints the HTTP status and
// body; exits 0 on a 2xx answer, 1 otherwise, 2 on usage/input errors.
//
//   remote_write_push http://127.0.0.1:9090/api/v1/write samples.txt
#include <snappy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "promql/parser/parser.h"
#include "remote/proto/remote.pb.h"
#include "tsdb/api/labels.h"

namespace {

namespace http = boost::beast::http;
using promethium::Labels;
using promethium::Result;
using promethium::Status;

// One input line -> labels, value, timestamp.
Status ParseLine(const std::string& line, Labels* labels, double* value, int64_t* ts) {
  size_t ts_start = line.find_last_of(" \t");
  if (ts_start == std::string::npos) return Status::InvalidArgument("want '<selector> <value> <timestamp>'");
  size_t value_end = line.find_last_not_of(" \t", ts_start);
  size_t value_start = line.find_last_of(" \t", value_end);
  if (value_end == std::string::npos || value_start == std::string::npos) {
    return Status::InvalidArgument("want '<selector> <value> <timestamp>'");
  }
  try {
    *ts = std::stoll(line.substr(ts_start + 1));
    *value = std::stod(line.substr(value_start + 1, value_end - value_start));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("bad value or timestamp: ") + e.what());
  }
  Result<promethium::Matchers> matchers = promethium::promql::ParseMetricSelector(line.substr(0, value_start));
  if (!matchers.ok()) return matchers.status();
  std::vector<promethium::Label> pairs;
  for (const promethium::Matcher& m : *matchers) {
    if (m.type() != promethium::MatchType::kEqual) return Status::InvalidArgument("only = matchers name labels");
    pairs.push_back({m.name(), m.value()});
  }
  *labels = Labels::FromVector(std::move(pairs));
  return Status::OK();
}

Result<prometheus::WriteRequest> ReadSamples(std::istream& in) {
  prometheus::WriteRequest req;
  std::map<Labels, int> index;  // labels -> timeseries position
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty() || line[0] == '#') continue;
    Labels labels;
    double value = 0;
    int64_t ts = 0;
    Status s = ParseLine(line, &labels, &value, &ts);
    if (!s.ok()) return s.WithContext("line " + std::to_string(line_no));
    auto [it, added] = index.emplace(labels, req.timeseries_size());
    if (added) {
      prometheus::TimeSeries* series = req.add_timeseries();
      for (const promethium::Label& l : labels) {
        prometheus::Label* pl = series->add_labels();
        pl->set_name(l.name);
        pl->set_value(l.value);
      }
    }
    prometheus::Sample* sample = req.mutable_timeseries(it->second)->add_samples();
    sample->set_value(value);
    sample->set_timestamp(ts);
  }
  return req;
}

int Push(const std::string& url_text, const std::string& body) {
  auto url = boost::urls::parse_uri(url_text);
  if (!url) {
    std::cerr << "bad URL: " << url_text << "\n";
    return 2;
  }
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::resolver resolver(ioc);
  boost::beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  std::string port = url->has_port() ? std::string(url->port()) : "80";
  stream.connect(resolver.resolve(std::string(url->host()), port));
  std::string target = std::string(url->encoded_path());
  if (target.empty()) target = "/";
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, std::string(url->host()));
  req.set(http::field::content_type, "application/x-protobuf");
  req.set(http::field::content_encoding, "snappy");
  req.set("X-Prometheus-Remote-Write-Version", "0.1.0");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> resp;
  http::read(stream, buffer, resp);
  boost::beast::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  std::cout << resp.result_int() << " " << resp.body() << std::flush;
  if (!resp.body().empty() && resp.body().back() != '\n') std::cout << "\n";
  return resp.result_int() / 100 == 2 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: remote_write_push <url> <samples file|->\n";
    return 2;
  }
  std::ifstream file;
  std::istream* in = &std::cin;
  if (std::string(argv[2]) != "-") {
    file.open(argv[2]);
    if (!file) {
      std::cerr << "cannot open " << argv[2] << "\n";
      return 2;
    }
    in = &file;
  }
  Result<prometheus::WriteRequest> req = ReadSamples(*in);
  if (!req.ok()) {
    std::cerr << req.status().message() << "\n";
    return 2;
  }
  std::string compressed;
  std::string raw = req->SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &compressed);
  try {
    return Push(argv[1], compressed);
  } catch (const std::exception& e) {
    std::cerr << "push failed: " << e.what() << "\n";
    return 1;
  }
}
