#include "rules/template/template.h"

#include "rules/template/exec.h"
#include "rules/template/parser.h"

namespace promethium::rules {
namespace {

std::shared_ptr<const tmpl::StringMap> ToMap(const Labels& labels) {
  auto m = std::make_shared<tmpl::StringMap>();
  for (const auto& l : labels) (*m)[l.name] = l.value;
  return m;
}

}  // namespace

Template::Template(std::unique_ptr<tmpl::ParsedTemplate> parsed, const TemplateOptions& opts)
    : parsed_(std::move(parsed)), opts_(opts) {}

Template::~Template() = default;

const std::string& Template::name() const { return parsed_->name; }

Result<std::unique_ptr<Template>> Template::Parse(std::string_view name, std::string_view text,
                                                  const TemplateOptions& opts) {
  std::string full = opts.alert_preamble ? std::string(kAlertTemplatePreamble) + std::string(text) : std::string(text);
  PROMETHIUM_ASSIGN_OR_RETURN(auto parsed, tmpl::ParseTemplate(name, full));
  return std::unique_ptr<Template>(new Template(std::move(parsed), opts));
}

Result<std::string> Template::Execute(const TemplateData& data, TemplateQuerier* querier) const {
  auto d = std::make_shared<tmpl::AlertData>();
  d->labels = ToMap(data.labels);
  d->external_labels = ToMap(data.external_labels);
  d->external_url = data.external_url;
  d->value = data.value;
  tmpl::ExecOptions eo;
  eo.missing_key = static_cast<tmpl::MissingKey>(static_cast<int>(opts_.missing_key));
  eo.max_output_bytes = opts_.max_output_bytes;
  eo.max_template_depth = opts_.max_template_depth;
  tmpl::CallEnv env;
  env.querier = querier;
  env.external_url = &data.external_url;
  env.eval_time_ms = data.eval_time_ms;
  return tmpl::Execute(*parsed_, tmpl::Value::Data(std::move(d)), eo, env);
}

}  // namespace promethium::rules
